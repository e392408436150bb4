// The console's shell: sign-in, or the AWS console's layout (top bar with region and
// sign-out, side navigation, breadcrumbs, flashbar) around the page the hash names.
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import AppLayout from "@cloudscape-design/components/app-layout";
import Flashbar from "@cloudscape-design/components/flashbar";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { clearSession, loadSession, REGIONS, saveSession, Session } from "./lib/credentials";
import { makeClients } from "./lib/clients";
import { AppContext, navigate, useFlash } from "./lib/app-context";
import { formatRoute, parseRoute, Route } from "./lib/routes";
import { Page } from "./pages/Page";

function useRoute(): Route {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return parseRoute(hash);
}

// Its own chunk: a signed-in visitor never loads it.
const SignIn = lazy(async () => ({ default: (await import("./pages/SignIn")).SignIn }));

const NAV_ITEMS = [
  {
    type: "section" as const,
    text: "Amazon Elastic Container Service",
    items: [
      { type: "link" as const, text: "Clusters", href: formatRoute({ page: "clusters" }) },
      { type: "link" as const, text: "Task definitions", href: formatRoute({ page: "task-definitions" }) },
    ],
  },
  {
    type: "section" as const,
    text: "Amazon Elastic Container Registry",
    items: [{ type: "link" as const, text: "Repositories", href: formatRoute({ page: "repositories" }) }],
  },
  {
    type: "section" as const,
    text: "Load Balancing",
    items: [
      { type: "link" as const, text: "Load balancers", href: formatRoute({ page: "load-balancers" }) },
      { type: "link" as const, text: "Target groups", href: formatRoute({ page: "target-groups" }) },
    ],
  },
  {
    type: "section" as const,
    text: "Network & Security",
    items: [
      { type: "link" as const, text: "Security Groups", href: formatRoute({ page: "security-groups" }) },
      { type: "link" as const, text: "Your VPCs", href: formatRoute({ page: "vpcs" }) },
      { type: "link" as const, text: "Subnets", href: formatRoute({ page: "subnets" }) },
    ],
  },
  {
    type: "section" as const,
    text: "CloudWatch",
    items: [
      { type: "link" as const, text: "Metrics", href: formatRoute({ page: "metrics" }) },
      { type: "link" as const, text: "Alarms", href: formatRoute({ page: "alarms" }) },
      { type: "link" as const, text: "Log groups", href: formatRoute({ page: "log-groups" }) },
    ],
  },
];

export function App() {
  const [session, setSession] = useState<Session | undefined>(() => loadSession(window.sessionStorage));
  const route = useRoute();
  const flash = useFlash();
  const clients = useMemo(() => (session ? makeClients(session, window.location.origin) : undefined), [session]);

  if (!session || !clients) {
    return (
      <Suspense fallback={null}>
        <SignIn
          onSignedIn={(s) => {
            saveSession(window.sessionStorage, s);
            setSession(s);
            if (route.page === "signin") navigate({ page: "clusters" });
          }}
        />
      </Suspense>
    );
  }

  const signOut = () => {
    clearSession(window.sessionStorage);
    setSession(undefined);
  };
  const setRegion = (region: string) => {
    const s = { ...session, region };
    saveSession(window.sessionStorage, s);
    setSession(s);
  };
  const regionName = REGIONS.find((r) => r.code === session.region)?.name ?? session.region;
  const activeHref = formatRoute(sectionOf(route));

  return (
    <AppContext.Provider value={{ clients, notify: flash.notify, notifyError: flash.notifyError, go: navigate }}>
      <div id="top-nav" style={{ position: "sticky", top: 0, zIndex: 1002 }}>
        <TopNavigation
          identity={{ href: "#/ecs/clusters", title: "wharf console" }}
          utilities={[
            {
              type: "menu-dropdown",
              text: `${regionName} (${session.region})`,
              items: REGIONS.map((r) => ({ id: r.code, text: `${r.name} ${r.code}` })),
              onItemClick: (e) => setRegion(e.detail.id),
            },
            {
              type: "menu-dropdown",
              text: session.userName ?? session.accessKeyId,
              description: session.userName ? `IAM user, session until ${new Date(session.expiration ?? 0).toLocaleString()}` : "Signed in with an access key",
              iconName: "user-profile",
              items: [{ id: "signout", text: "Sign out" }],
              onItemClick: (e) => e.detail.id === "signout" && signOut(),
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        toolsHide
        ariaLabels={{
          navigation: "Side navigation",
          navigationClose: "Close side navigation",
          navigationToggle: "Open side navigation",
          notifications: "Notifications",
        }}
        navigation={
          <SideNavigation
            header={{ href: "#/ecs/clusters", text: "wharf" }}
            activeHref={activeHref}
            items={NAV_ITEMS}
          />
        }
        notifications={<Flashbar items={flash.items} stackItems={false} />}
        content={<Page key={`${session.region} ${formatRoute(route).split("?")[0]}`} route={route} />}
      />
    </AppContext.Provider>
  );
}

// Which side navigation entry a page belongs to.
function sectionOf(r: Route): Route {
  switch (r.page) {
    case "task-definitions":
    case "task-definition-family":
    case "task-definition":
    case "create-task-definition":
      return { page: "task-definitions" };
    case "repositories":
    case "repository":
      return { page: "repositories" };
    case "load-balancers":
    case "load-balancer":
    case "listener":
      return { page: "load-balancers" };
    case "security-groups":
    case "security-group":
      return { page: "security-groups" };
    case "vpcs":
    case "vpc":
      return { page: "vpcs" };
    case "subnets":
    case "subnet":
      return { page: "subnets" };
    case "metrics":
      return { page: "metrics" };
    case "alarms":
      return { page: "alarms" };
    case "target-groups":
    case "target-group":
      return { page: "target-groups" };
    case "log-groups":
    case "log-group":
    case "log-stream":
      return { page: "log-groups" };
    default:
      return { page: "clusters" };
  }
}
