// rxlab's GraphiQL page: a token bar and workbench links above GraphiQL, which
// talks to POST /graphql with `Authorization: Bearer <token>`.
import './workers.js';
import { StrictMode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { useGraphiQLActions } from '@graphiql/react';
import 'graphiql/style.css';
import './page.css';

const TOKEN_KEY = 'rxlab.token';
const ENDPOINT = '/graphql';
const DEFAULT_QUERY = `# Welcome to rxlab. Paste a token in the bar
# above (the first start writes an admin token
# to DATA/admin.token), then press Ctrl-Enter.

{
  health {
    ok
    version
    patients
    molecules
  }
}
`;

function readToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

function writeToken(token) {
  try {
    if (token) {
      window.localStorage.setItem(TOKEN_KEY, token);
    } else {
      window.localStorage.removeItem(TOKEN_KEY);
    }
  } catch {
    // Storage may be disabled (private mode); the token then lives for this page only.
  }
}

// makeFetcher returns a GraphiQL fetcher that posts JSON to the endpoint. Headers typed
// into GraphiQL's header editor are sent too, but the token bar's Authorization wins.
function makeFetcher(getToken) {
  return async (params, opts) => {
    const headers = {
      Accept: 'application/json',
      ...(opts && opts.headers ? opts.headers : {}),
      'Content-Type': 'application/json',
    };
    const token = getToken();
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    const res = await fetch(ENDPOINT, {
      method: 'POST',
      headers,
      body: JSON.stringify(params),
      credentials: 'omit',
    });
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] };
    }
  };
}

// openSchema fetches /schema.graphql with the token (the route needs one, like
// introspection) and opens the text in a new tab as a blob: URL.
async function openSchema(e) {
  e.preventDefault();
  const token = readToken();
  const res = await fetch('/schema.graphql', { headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: 'omit' });
  const text = await res.text();
  const url = URL.createObjectURL(new Blob([res.ok ? text : `HTTP ${res.status}: ${text}`], { type: 'text/plain' }));
  window.open(url, '_blank', 'noopener');
}

function Links() {
  const [links, setLinks] = useState([]);
  useEffect(() => {
    let live = true;
    fetch('workbench.json', { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : []))
      .then((l) => {
        if (live && Array.isArray(l)) setLinks(l);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  return (
    <nav className="rx-links" aria-label="Workbench pages">
      {links.map((l) =>
        l.available ? (
          <a key={l.path} href={l.path} title={l.description}>
            {l.title}
          </a>
        ) : (
          <span key={l.path} className="rx-planned" title={`${l.description} (not available yet)`}>
            {l.title}
          </span>
        ),
      )}
      <a href="/schema.graphql" title="The GraphQL schema (SDL)" onClick={openSchema}>
        schema.graphql
      </a>
    </nav>
  );
}

function TokenBar({ token, onSave }) {
  const [draft, setDraft] = useState(token);
  const [shown, setShown] = useState(false);
  const dirty = draft.trim() !== token;
  const submit = (e) => {
    e.preventDefault();
    onSave(draft.trim());
  };
  return (
    <form className="rx-token" onSubmit={submit}>
      <label htmlFor="rx-token-input">Bearer token</label>
      <input
        id="rx-token-input"
        type={shown ? 'text' : 'password'}
        autoComplete="off"
        spellCheck="false"
        placeholder="paste the token from DATA/admin.token or `server token create`"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
      />
      <button type="button" onClick={() => setShown(!shown)}>
        {shown ? 'Hide' : 'Show'}
      </button>
      <button type="submit" disabled={!dirty}>
        Save
      </button>
      <button
        type="button"
        disabled={!token && !draft}
        onClick={() => {
          setDraft('');
          onSave('');
        }}
      >
        Clear
      </button>
      <span className={token ? 'rx-state rx-ok' : 'rx-state'}>
        {token ? 'token set' : 'no token: only /healthz answers'}
      </span>
    </form>
  );
}

// Refetch asks GraphiQL to introspect the schema again whenever `generation` changes
// (a new token may see a schema the old one could not). It renders nothing; it sits
// inside GraphiQL only to reach GraphiQL's store.
function Refetch({ generation }) {
  const { introspect } = useGraphiQLActions();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false; // GraphiQL introspects on mount by itself
      return;
    }
    introspect();
  }, [generation, introspect]);
  return null;
}

function App() {
  const [token, setToken] = useState(readToken);
  // The fetcher reads the token through a ref so it stays one function and GraphiQL
  // keeps its editors; a token change bumps `generation` to refetch the schema.
  const tokenRef = useRef(token);
  const [generation, setGeneration] = useState(0);
  const fetcher = useMemo(() => makeFetcher(() => tokenRef.current), []);
  const save = useCallback((t) => {
    writeToken(t);
    tokenRef.current = t;
    setToken(t);
    setGeneration((g) => g + 1);
  }, []);
  return (
    <div className="rx-page">
      <header className="rx-header">
        <a className="rx-brand" href="/">
          rxlab
        </a>
        <a href="/">workbench</a>
        <Links />
      </header>
      <TokenBar token={token} onSave={save} />
      <main className="rx-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY}>
          <GraphiQL.Logo>
            <Refetch generation={generation} />
            rxlab
          </GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
