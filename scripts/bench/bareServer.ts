/**
 * The benchmark's HTTP ceiling: Koa and a mysql2 pool, nothing else. `GET /row/:id` answers one
 * user row selected by primary key, the least any authenticated read of ours must do. Prepared,
 * as the engine's session check is (db/sql.ts).
 */
import Koa from 'koa';
import mysql from 'mysql2/promise';

const pool = mysql.createPool({ uri: process.env.DATABASE_URL!, connectionLimit: 32 });
const app = new Koa();
app.use(async (ctx) => {
  const m = /^\/row\/(\d+)$/.exec(ctx.path);
  if (!m) {
    ctx.status = 404;
    return;
  }
  const [rows] = await pool.execute('SELECT id, user_code, wallet_balance, held_balance FROM users WHERE id = ?', [
    Number(m[1]),
  ]);
  ctx.body = (rows as unknown[])[0] ?? null;
});
app.listen(Number(process.env.PORT), '127.0.0.1');
