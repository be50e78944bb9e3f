import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** `service.name` resource attribute. */
  serviceName: string;
  /** OTLP/HTTP collector base URL; spans go to `<url>/v1/traces`. */
  otlpEndpoint?: string | undefined;
  /** Tests: every span is handed to this exporter as it ends (no batching, no OTLP). */
  exporter?: SpanExporter | undefined;
}

export interface Tracing {
  /** Flushes pending spans and unregisters the SDK (so a later gateway in the same process can register its own). */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK for traces only, or returns null when
 * there is nowhere to send spans. Metrics stay on Prometheus (`/metrics`) and
 * logs on pino, so the SDK's own metric and log pipelines are switched off
 * explicitly (it would otherwise default them to OTLP from the environment).
 */
export function startTracing(opts: TracingOptions): Tracing | null {
  if (!opts.exporter && !opts.otlpEndpoint) return null;
  const processor = opts.exporter
    ? new SimpleSpanProcessor({ exporter: opts.exporter })
    : new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${opts.otlpEndpoint!.replace(/\/+$/, '')}/v1/traces` }) });
  const sdk = new NodeSDK({
    serviceName: opts.serviceName,
    spanProcessors: [processor],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return {
    async shutdown() {
      try {
        await sdk.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
