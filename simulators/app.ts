/**
 * One process serves every provider simulator, each under its own prefix (/phonepe, /bbps,
 * /recharge, /payout), so a
 * developer runs one thing and the engine's clients only need base URLs.
 */
import { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import { z } from 'zod';
import { BbpsSimulator, BbpsSimulatorOptions, createBbpsSimulator } from './bbps';
import { createPayoutSimulator, PayoutSimulator, PayoutSimulatorOptions } from './payout';
import { createPhonePeSimulator, PhonePeSimulator, PhonePeSimulatorOptions } from './phonepe';
import { createRechargeSimulator, RechargeSimulator, RechargeSimulatorOptions } from './recharge';

export interface SimulatorsOptions {
  phonepe: Omit<PhonePeSimulatorOptions, 'publicBaseUrl'>;
  payout: PayoutSimulatorOptions;
  recharge: RechargeSimulatorOptions;
  bbps: BbpsSimulatorOptions;
  /** How browsers reach this process; defaults to its listening address. */
  publicBaseUrl?: string;
}

export interface RunningSimulators {
  url: string;
  phonepe: PhonePeSimulator;
  payout: PayoutSimulator;
  recharge: RechargeSimulator;
  bbps: BbpsSimulator;
  close(): Promise<void>;
}

export async function startSimulators(
  opts: SimulatorsOptions & { host?: string; port?: number },
): Promise<RunningSimulators> {
  const app = new Koa();
  // Created before listening: the public URL may depend on the port chosen.
  let publicBaseUrl = opts.publicBaseUrl ?? '';
  const phonepe = createPhonePeSimulator({
    ...opts.phonepe,
    get publicBaseUrl() {
      return publicBaseUrl;
    },
  } as PhonePeSimulatorOptions);
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (e) {
      if (!(e instanceof z.ZodError)) throw e;
      ctx.status = 400;
      ctx.body = { code: 'BAD_REQUEST', message: e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    }
  });
  app.use(bodyParser({ enableTypes: ['json', 'form'] }) as unknown as Koa.Middleware);
  const payout = createPayoutSimulator(opts.payout);
  const recharge = createRechargeSimulator(opts.recharge);
  const bbps = createBbpsSimulator(opts.bbps);
  app.use(phonepe.router.routes());
  for (const sim of [payout, recharge, bbps]) app.use(sim.router.routes());
  const server = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  if (!publicBaseUrl) publicBaseUrl = url;
  return {
    url,
    phonepe,
    payout,
    recharge,
    bbps,
    close: () => {
      for (const sim of [payout, recharge, bbps]) sim.close();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
