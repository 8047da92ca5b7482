# The engine image: api, worker, migrate and the provider simulators all run from it.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so source edits do not reinstall them. tsx and typescript are runtime
# dependencies on purpose: the processes run the TypeScript sources directly.
COPY package.json package-lock.json ./
# npm's postinstall applies our patches of dependencies (patch-package; see patches/README.md).
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund

COPY --chown=node:node . .
# Workflows are bundled at build time (Temporal's production pattern): the worker starts fast
# and runs exactly the code this image was built with.
RUN node --import tsx scripts/bundle-workflows.ts /app/workflow-bundle.js && chown node:node /app/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js
# The operations console (/console), bundled with esbuild into dist/console.
RUN node --import tsx scripts/console-build.ts && chown -R node:node /app/dist
# How the API and worker hold memory, as in the dev and bench stacks (config/engineProcess.ts,
# docs/performance.md): two malloc arenas here; the worker's small V8 young generation is a flag
# on its command (docker-compose.yml); the heap's growth limit is set by each process at start
# (Node refuses it as an environment option).
ENV MALLOC_ARENA_MAX=2

USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/server.ts"]
