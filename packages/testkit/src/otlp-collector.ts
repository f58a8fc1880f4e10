/**
 * A minimal OpenTelemetry collector for tests: an OTLP/HTTP JSON receiver on
 * a free loopback port that keeps every span posted to /v1/traces, with the
 * service that sent it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  /** The sender's `service.name`. */
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
}

export interface OtlpCollector {
  /** For NIMBUS_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: Omit<ReceivedSpan, 'service'>[] }[];
  }[];
}

async function readJson(request: IncomingMessage): Promise<OtlpBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    readJson(request).then(
      (body) => {
        for (const { resource, scopeSpans } of body.resourceSpans ?? []) {
          const service =
            resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const { spans: list } of scopeSpans ?? []) {
            for (const span of list ?? [])
              spans.push({ ...span, service, parentSpanId: span.parentSpanId ?? '' });
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => response.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
