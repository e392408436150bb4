// What the SDK for JavaScript v3 clients are made with: the wharf that served this page (the
// same public API, signed with SigV4, that the aws CLI uses; same origin, so no CORS) and the
// signed-in credentials. Each service's client is made on first use by the pages that use it
// (lib/client-*.ts), so its code is in those pages' chunks, not in the first page's.
import type { Session } from "./credentials";

export interface Clients {
  endpoint: string;
  region: string;
  config: ClientConfig;
}

export interface ClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
}

export function makeClients(session: Session, endpoint: string): Clients {
  const config: ClientConfig = {
    region: session.region,
    endpoint,
    credentials: {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
    },
    maxAttempts: 2,
  };
  return { endpoint, region: session.region, config };
}

// `ecsOf(clients)`: the one client of a service for these credentials, made on first use.
export function clientOf<C>(make: (config: ClientConfig) => C): (clients: Clients) => C {
  const made = new WeakMap<Clients, C>();
  return (clients) => {
    let c = made.get(clients);
    if (c === undefined) {
      c = make(clients.config);
      made.set(clients, c);
    }
    return c;
  };
}
