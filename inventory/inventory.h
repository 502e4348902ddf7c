/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inventory.h - who holds an address: workloads from kubectl and docker inspect files, live
 * Docker containers and their claims over time, Services and their endpoints; resolving a
 * flow's ends to workloads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/graph.h"
#include "util/util.h"

/* ---- Inventory ---------------------------------------------------------------------------- */

/*
 * What users already have: `kubectl get nodes,namespaces,pods,services,endpointslices -A -o yaml`
 * (or -o json, or single objects; controllers such as Deployments and CronJobs too) and `docker
 * inspect` JSON. inventory_load() detects which it was given; "-" is standard input.
 * Names and labels are validated on the way in; a file that breaks the rules fails whole.
 */
struct inventory;
struct inventory *inventory_new(void);
struct inventory *inventory_free(struct inventory *inv); /* NULL-safe */
int inventory_load(struct inventory *inv, const char *path, struct util_err *err);

/*
 * Where the inventory's warnings go (two Running pods claiming one address, a file that names no
 * workload), each said once; none are said until this is set.
 */
void inventory_set_warn(struct inventory *inv, util_warn_fn fn, void *userdata);

/*
 * A cluster range given by the user (--pod-cidr, --service-cidr), in addition to the Nodes'
 * podCIDRs, ServiceCIDR objects and the prefix that holds every ClusterIP. An address inside a
 * cluster range that no pod, node or Service claims is an unknown peer ("unknown:RANGE"), never
 * an external one. -EINVAL for anything but ADDRESS/PREFIX.
 */
int inventory_add_cluster_range(struct inventory *inv, const char *cidr);

/*
 * Notes in g when the inventory's workloads ran within [from_ns, until_ns]: a pod Running then
 * (since status.startTime), a finished pod between its start and its last container's finish,
 * a container up. Pending pods never ran. For capture files the span is each file's; a live
 * agent notes the present at every save.
 */
void inventory_note_running(struct inventory *inv, struct graph *g, uint64_t from_ns,
			    uint64_t until_ns);

/* Prefix lengths that external addresses are aggregated to (defaults 32 and 128). */
int inventory_set_external_prefix(struct inventory *inv, unsigned v4, unsigned v6);

/* Every workload the inventory knows (k8s, docker, node), sorted by id, for the state to keep. */
size_t inventory_workload_count(const struct inventory *inv);
struct graph_workload *inventory_workload(const struct inventory *inv, size_t i);

/*
 * One end of a flow as the graph should record it. For a Service ClusterIP:port a server end
 * resolves to every distinct workload the Service selects, each with its target port.
 */
struct inventory_endpoint {
	struct graph_workload *workload; /* a reference owned by the inventory */
	uint16_t port;
};

/* The client end: the workload owning addr, a node, or an external endpoint (never fails). */
struct graph_workload *inventory_resolve_client(struct inventory *inv,
						const struct util_addr *addr);
/*
 * The server end(s): fills up to max endpoints and returns how many there are (>= 1). A
 * Service resolves to its backends and their target ports (named ports through the pods'
 * container ports); anything else to one endpoint with the port unchanged.
 */
size_t inventory_resolve_server(struct inventory *inv, const struct util_addr *addr, uint8_t proto,
				uint16_t port, struct inventory_endpoint *ret, size_t max);

/*
 * The addresses a workload holds now (file claims and live containers valid now), sorted, for
 * renderers that need addresses (nftables). Fills up to max and returns how many there are.
 */
size_t inventory_addresses(struct inventory *inv, const char *workload_id, struct util_addr *ret,
			   size_t max);

/*
 * What NetworkPolicy selectors see (flowlock verify). The value of label key on namespace ns
 * (the newest Namespace object of that name wins), or NULL when it has none. Every namespace,
 * listed or not, has kubernetes.io/metadata.name=NAME, as Kubernetes sets it; that value may be
 * ns itself. inv may be NULL.
 */
const char *inventory_namespace_label(const struct inventory *inv, const char *ns, const char *key);
/*
 * The numbers that the container port called name (with protocol proto) has in the pods of
 * workload workload_id: pods of one workload may disagree (a rollout). Fills up to max, sorted
 * and unique, and returns how many there are; 0 when no pod names such a port. Linear in pods.
 */
size_t inventory_named_port(const struct inventory *inv, const char *workload_id, const char *name,
			    uint8_t proto, uint16_t *ret, size_t max);

/* ---- Live identity (inventory-live.c, docker-engine.c) ------------------------------------- */

/*
 * Containers known while running live. Each container's addresses belong to it from since_ns
 * until it is removed, so an address that moves from one container to another is attributed to
 * the right one at the time of each flow. A container set again (renamed, reconnected) replaces
 * its addresses from that time on. Names and labels are validated as in inventory_load().
 */
struct inventory_container {
	const char *id;	     /* the engine's container id */
	const char *name;    /* without the leading '/' */
	const char *project; /* com.docker.compose.project, or NULL */
	const char *service; /* com.docker.compose.service, or NULL */
	const struct util_addr *addrs;
	size_t n_addrs;
};
int inventory_set_container(struct inventory *inv, const struct inventory_container *c,
			    uint64_t since_ns, struct util_err *err);
void inventory_remove_container(struct inventory *inv, const char *id, uint64_t until_ns);

/* As inventory_resolve_client/_server, for a flow that started at ts_ns. */
struct graph_workload *inventory_resolve_client_at(struct inventory *inv,
						   const struct util_addr *addr, uint64_t ts_ns);
size_t inventory_resolve_server_at(struct inventory *inv, const struct util_addr *addr,
				   uint8_t proto, uint16_t port, uint64_t ts_ns,
				   struct inventory_endpoint *ret, size_t max);

/*
 * A Docker Engine API client on a unix socket (default /var/run/docker.sock): lists running
 * containers into the inventory, then follows the event stream (start, die, destroy, network
 * connect and disconnect, rename) so containers that start later are known by name.
 */
#define INVENTORY_DOCKER_SOCKET "/var/run/docker.sock"
struct inventory_docker;
int inventory_docker_open(const char *socket_path, struct inventory *inv,
			  struct inventory_docker **ret, struct util_err *err);
/* What to poll for input (POLLIN), then call dispatch: one descriptor for all its connections. */
int inventory_docker_fd(const struct inventory_docker *d);
/*
 * Reads what the event stream has and applies it, spending at most a fraction of a second on
 * asking the engine about containers; -EPIPE when the engine left (the claims this client
 * opened are then closed). A problem with one event or one container is skipped, not returned.
 */
int inventory_docker_dispatch(struct inventory_docker *d, struct util_err *err);
/* True while work is left for dispatch (containers queued to be inspected): call it again soon. */
bool inventory_docker_busy(const struct inventory_docker *d);
/* Connects to the socket (with a timeout) and closes it: can this user reach the engine? */
int inventory_docker_check_access(const char *socket_path, struct util_err *err);
struct inventory_docker *inventory_docker_free(struct inventory_docker *d); /* NULL-safe */

/*
 * Replaces what was loaded from files with what paths hold now (SIGHUP, or a file changed);
 * live containers stay. On failure nothing changes and err names the file.
 */
int inventory_reload(struct inventory *inv, const char *const *paths, size_t n,
		     struct util_err *err);

/* ---- Watch streams (inventory-watch.c) ------------------------------------------------------ */

/*
 * What `kubectl get KIND -A --watch --output-watch-events -o json` writes, one stream per kind
 * (pods, services, endpointslices, nodes, namespaces): ADDED, MODIFIED and DELETED events, each
 * applied at the time it arrives. Also bare objects (--watch without --output-watch-events) and
 * whole Lists, which replace everything the stream said before. A deleted pod keeps the addresses
 * it held for flows that began before its deletion (10 minutes at most). A malformed value is
 * said and skipped. A named FIFO whose writer leaves is opened again, and what the writer does not
 * list again once it is quiet is taken as deleted when the stream broke; a pipe or standard input
 * ends for good. Each stream is read on a thread of its own; say (may be NULL) hears about it.
 */
bool inventory_is_stream(const char *path); /* "-" or a FIFO (named, or a pipe) */
int inventory_watch(struct inventory *inv, const char *path, util_warn_fn say, void *userdata,
		    struct util_err *err);
/* Readable when a stream has news; -1 while no stream is open. */
int inventory_watch_fd(const struct inventory *inv);
/*
 * Applies what the streams said, at wall time now_ns; true when the lookups were rebuilt (they
 * are at most every 50 ms, and spend at most a fifth of the time rebuilding). Call it when the
 * descriptor is readable, and at least every 50 ms while inventory_watch_pending().
 */
bool inventory_watch_dispatch(struct inventory *inv, uint64_t now_ns);
bool inventory_watch_pending(const struct inventory *inv);
/*
 * Waits until every stream has listed what it holds (it went quiet for quiet_ms after its first
 * objects, or ended), at most max_ms; returns how many objects the streams have given.
 */
size_t inventory_watch_settle(struct inventory *inv, unsigned quiet_ms, unsigned max_ms);

/*
 * inventory_resolve_server_at, also saying whether addr:port of proto is a Service's (a
 * ClusterIP, a NodePort, a load balancer address); and whether w on port is behind one. These are
 * the two sides a DNAT joins: only their flows can be the same connection seen twice, so only
 * they are remembered.
 */
size_t inventory_resolve_server_via(struct inventory *inv, const struct util_addr *addr,
				    uint8_t proto, uint16_t port, uint64_t ts_ns,
				    struct inventory_endpoint *ret, size_t max, bool *ret_service);
bool inventory_is_backend(const struct inventory *inv, const struct graph_workload *w,
			  uint8_t proto, uint16_t port);

/*
 * A number that moves with every change to what the inventory may answer (a load or reload, a
 * watched change applied, a container started or stopped, another external prefix, a new round
 * of outside peers): two lookups of one address under the same number, at the same time, give
 * the same answer.
 */
uint64_t inventory_generation(const struct inventory *inv);
/*
 * Whether client's and server's answers (server on proto/port, straight, not a Service's
 * address) are the same at any time, while the generation stays: neither address has changed
 * hands by the records or is a live container's, and no Service at server led anywhere, now or
 * before.
 */
bool inventory_timeless(const struct inventory *inv, const struct util_addr *client,
			const struct util_addr *server, uint8_t proto, uint16_t port);

/*
 * One object another module keeps with the inventory and that is freed with it (learn/'s
 * connections counted lately and flows like one before, learn-attribute.c). NULL until attached;
 * attaching again frees what was there.
 */
void *inventory_attachment(const struct inventory *inv);
void inventory_attach(struct inventory *inv, void *data, void (*free_fn)(void *data));
