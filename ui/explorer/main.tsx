/**
 * The offline explorer: GraphiQL 4 (CodeMirror 5, no web workers) bundled from npm and served by the
 * gateway, so it works on a closed network. Queries and mutations go over HTTP POST, subscriptions over
 * graphql-ws on the same path; the toolkit's fetcher sends the Headers pane's JSON as HTTP headers and,
 * for subscriptions, as the graphql-ws `connectionParams` (the gateway reads `Authorization` there).
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './explorer.css';
import { graphqlEndpoints, loadPageConfig, pageRoot, showFatal } from '../shared/page';

/** `GET /_ui/explorer/config.json` (src/server/ui.ts). */
interface ExplorerConfig {
  /** A dev viewer token, only in development with dev tokens on; never in production. */
  devToken: string | null;
}

const DEFAULT_QUERY = `# Offline GraphiQL for the identity-flows gateway. Ctrl-Enter runs the operation.
# Subscriptions run over graphql-ws on this same path, e.g.
#   subscription { transactionResponseChanged { seq type } }
{
  __typename
}
`;

function Hint({ devToken }: ExplorerConfig) {
  return (
    <p className="explorer-hint">
      Auth: the <strong>Headers</strong> tab below holds <code>{'{ "Authorization": "Bearer <token>" }'}</code>
      {devToken ? (
        <>
          {' '}
          — pre-filled with a dev viewer token; <code>npm run -s token -- operator</code> prints an operator or admin one.
        </>
      ) : (
        ' — paste your token there; subscriptions send it too.'
      )}
    </p>
  );
}

async function main(): Promise<void> {
  const root = pageRoot();
  try {
    const config = await loadPageConfig<ExplorerConfig>(root);
    const endpoints = graphqlEndpoints();
    const fetcher = createGraphiQLFetcher({ url: endpoints.http, subscriptionUrl: endpoints.ws });
    const headers = config.devToken ? JSON.stringify({ Authorization: `Bearer ${config.devToken}` }, null, 2) : undefined;
    // `?query=` (and `?variables=`) open an operation directly, as links in docs and tests do.
    const params = new URLSearchParams(window.location.search);
    createRoot(root).render(
      <StrictMode>
        <Hint devToken={config.devToken} />
        <div className="explorer-main">
          <GraphiQL
            fetcher={fetcher}
            defaultQuery={DEFAULT_QUERY}
            query={params.get('query') ?? undefined}
            variables={params.get('variables') ?? undefined}
            headers={headers}
            defaultHeaders={headers}
            shouldPersistHeaders={false}
            isHeadersEditorEnabled
            defaultEditorToolsVisibility="headers"
          />
        </div>
      </StrictMode>,
    );
  } catch (err) {
    showFatal(root, err);
  }
}

void main();
