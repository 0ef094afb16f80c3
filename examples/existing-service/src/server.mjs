// `npm start`: the host service on :3000, glassbox at http://127.0.0.1:3000/glassbox/.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createHostApp } from './app.mjs';

const meterProvider = new MeterProvider(); // add the service's own readers/exporters here
const host = await createHostApp({ meterProvider });
const server = host.app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`existing-service on http://127.0.0.1:${server.address().port}, glassbox at /glassbox/`);
});
const stop = async () => {
  server.close();
  await host.close();
  await meterProvider.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
