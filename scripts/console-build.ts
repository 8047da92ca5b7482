/** `npm run console:build [outDir]`: bundles the operations console (api/console/bundle.ts). */
import { bundleConsole } from '../api/console/bundle';

bundleConsole(process.argv[2]).then(
  ({ outDir, bytes }) => console.log(`console built into ${outDir} (${Math.round(bytes / 1024)} KiB)`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
