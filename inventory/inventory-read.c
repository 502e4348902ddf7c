/* SPDX-License-Identifier: Apache-2.0 */
/* inventory-read.c - reading inventory files: the parsing context, the document dispatcher and
 * loading. */
#include "inventory/inventory-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* memory does not follow the bytes read (lists are read item by item): this bounds only time */
#define INV_MAX_FILE_SIZE ((size_t)4 << 30)
#define INV_MAX_DEPTH	  64

/* ---- Parsing context and errors ----------------------------------------------------------- */

/* A string field: NULL when absent or null. */
int inv_str(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
	    const struct util_yaml_node **ret)
{
	return inv_field(ctx, map, key, UTIL_YAML_SCALAR, ret);
}

int inv_bool(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key, bool *ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_str(ctx, map, key, &n);
	if (r < 0)
		return r;
	if (!n || strcmp(n->str, "false") == 0 || strcmp(n->str, "False") == 0 ||
	    strcmp(n->str, "FALSE") == 0) {
		*ret = false;
		return 0;
	}
	if (strcmp(n->str, "true") == 0 || strcmp(n->str, "True") == 0 ||
	    strcmp(n->str, "TRUE") == 0) {
		*ret = true;
		return 0;
	}
	return inv_fail(ctx, n, "invalid boolean \"%s\" for %s on %s", util_yaml_show(n->str, show),
			key, ctx->rd.subject);
}

int inv_port(struct inv_ctx *ctx, const struct util_yaml_node *n, uint16_t *ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	uint64_t v;

	if (n->type != UTIL_YAML_SCALAR || util_parse_u64(n->str, 65535, &v) < 0 || v == 0)
		return inv_fail(
			ctx, n, "invalid port \"%s\" on %s",
			util_yaml_show(n->type == UTIL_YAML_SCALAR ? n->str : "(not a scalar)",
				       show),
			ctx->rd.subject);
	*ret = (uint16_t)v;
	return 0;
}

/* Kubernetes ports speak TCP, UDP or SCTP; absent means TCP. */
int inv_proto(struct inv_ctx *ctx, const struct util_yaml_node *map, uint8_t *ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_str(ctx, map, "protocol", &n);
	if (r < 0)
		return r;
	if (!n) {
		*ret = IPPROTO_TCP;
		return 0;
	}
	if (strcmp(n->str, "TCP") == 0 || strcmp(n->str, "UDP") == 0 || strcmp(n->str, "SCTP") == 0)
		return util_proto_from_name(n->str, ret);
	return inv_fail(ctx, n, "invalid protocol \"%s\" on %s", util_yaml_show(n->str, show),
			ctx->rd.subject);
}

/* An IP address field; empty strings are skipped. */
int inv_ip(struct inv_ctx *ctx, const struct util_yaml_node *n, struct inv_addrs *out)
{
	struct util_addr a;
	char show[UTIL_YAML_SHOW_LEN];

	if (!n || util_yaml_is_null(n))
		return 0;
	if (n->type != UTIL_YAML_SCALAR)
		return inv_fail(ctx, n, "IP address is not a scalar on %s", ctx->rd.subject);
	if (!*n->str)
		return 0;
	if (util_addr_parse(n->str, &a) < 0)
		return inv_fail(ctx, n, "invalid IP address \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	inv_addrs_add(out, &a);
	return 0;
}

/* A list of {ip: ADDR} (status.podIPs, status.hostIPs). */
int inv_ip_list(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
		struct inv_addrs *out)
{
	const struct util_yaml_node *seq, *ip;
	int r;

	r = inv_field(ctx, map, key, UTIL_YAML_SEQ, &seq);
	if (r < 0 || !seq)
		return r;
	for (size_t i = 0; i < seq->n_kids; i++) {
		if (seq->kids[i]->type != UTIL_YAML_MAP)
			return inv_fail(ctx, seq->kids[i], "%s item is not a mapping on %s", key,
					ctx->rd.subject);
		r = inv_str(ctx, seq->kids[i], "ip", &ip);
		if (r < 0)
			return r;
		r = inv_ip(ctx, ip, out);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A label map (metadata.labels, spec.selector), every key and value validated. */
int inv_labels(struct inv_ctx *ctx, const struct util_yaml_node *map, struct inv_kv **kv,
	       size_t *n_kv)
{
	char show[UTIL_YAML_SHOW_LEN];

	for (size_t i = 0; map && i + 1 < map->n_kids; i += 2) {
		const struct util_yaml_node *k = map->kids[i], *v = map->kids[i + 1];
		const char *value;

		if (k->type != UTIL_YAML_SCALAR || !util_k8s_label_key(k->str))
			return inv_fail(ctx, k, "invalid label key \"%s\" on %s",
					util_yaml_show(k->type == UTIL_YAML_SCALAR
							       ? k->str
							       : "(not a scalar)",
						       show),
					ctx->rd.subject);
		if (v->type != UTIL_YAML_SCALAR)
			return inv_fail(ctx, v, "invalid label value (not a scalar) on %s",
					ctx->rd.subject);
		value = util_yaml_is_null(v) ? "" : v->str;
		if (!util_k8s_label_value(value))
			return inv_fail(ctx, v, "invalid label value \"%s\" on %s",
					util_yaml_show(value, show), ctx->rd.subject);
		if (inv_kv_get(*kv, *n_kv, k->str))
			continue; /* a duplicate key: the first one counts, as in every lookup */
		*kv = util_reallocarray(*kv, *n_kv + 1, sizeof(**kv));
		(*kv)[(*n_kv)++] = (struct inv_kv){util_intern(k->str), util_intern(value)};
	}
	return 0;
}

/*
 * metadata.name (validated as a DNS label or subdomain) and, for namespaced objects,
 * metadata.namespace ("default" when absent, as kubectl applies it). Sets ctx->rd.subject.
 */
int inv_k8s_meta(struct inv_ctx *ctx, const struct util_yaml_node *obj, const char *what,
		 bool namespaced, bool name_is_label, const char **ret_ns, const char **ret_name)
{
	const struct util_yaml_node *meta, *name, *ns;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	ctx->rd.subject[0] = '\0';
	r = inv_field(ctx, obj, "metadata", UTIL_YAML_MAP, &meta);
	if (r < 0)
		return r;
	if (!meta)
		return inv_fail(ctx, obj, "%s without metadata", what);
	r = inv_str(ctx, meta, "name", &name);
	if (r < 0)
		return r;
	if (!name)
		return inv_fail(ctx, meta, "%s without metadata.name", what);
	if (!(name_is_label ? util_k8s_dns_label(name->str) : util_k8s_dns_subdomain(name->str)))
		return inv_fail(ctx, name, "invalid %s name \"%s\"", what,
				util_yaml_show(name->str, show));
	*ret_name = name->str;
	if (!namespaced) {
		snprintf(ctx->rd.subject, sizeof(ctx->rd.subject), "%s %s", what, name->str);
		return 0;
	}
	r = inv_str(ctx, meta, "namespace", &ns);
	if (r < 0)
		return r;
	if (ns && !util_k8s_dns_label(ns->str))
		return inv_fail(ctx, ns, "invalid namespace \"%s\" on %s %s",
				util_yaml_show(ns->str, show), what, name->str);
	*ret_ns = ns ? ns->str : "default";
	snprintf(ctx->rd.subject, sizeof(ctx->rd.subject), "%s %s/%s", what, *ret_ns, name->str);
	return 0;
}

/* A document, once its list's items that could be were read (inv_item). */
static int inv_document_read(struct inv_ctx *ctx, const struct util_yaml_node *root)
{
	const struct util_yaml_node *kind, *api;
	int r = 0;

	kind = util_yaml_get(root, "kind");
	api = util_yaml_get(root, "apiVersion");
	if (kind && kind->type == UTIL_YAML_SCALAR && api && api->type == UTIL_YAML_SCALAR)
		return inv_k8s_document(ctx, root);
	if (inv_is_image(root))
		return inv_fail(ctx, root,
				"docker image inspect output (images, not containers): give "
				"'docker inspect' of the running containers");
	if (inv_is_docker(root)) {
		for (size_t i = 0; i < root->n_kids && r == 0; i++)
			r = inv_docker_container(ctx, root->kids[i]);
		return r;
	}
	/* kubectl -o yaml writes "kind: List" after the items: a file cut short has none */
	if (api && util_yaml_get(root, "items") && !kind)
		return inv_fail(ctx, root,
				"a kubectl list without its closing \"kind: List\": was the file "
				"cut short?");
	return inv_fail(ctx, root, "not a kubectl or docker inspect inventory");
}

/*
 * Whether an item of a list can be read as soon as it ends, so that a list of 20,000 pods is
 * never held whole: when the list named its kind before its items, as the API server writes it,
 * or the item names its own, as kubectl writes it (with "kind: List" last). ret_kind is what the
 * list says its items are (the caller frees it; NULL when they say it themselves).
 */
bool inv_item_alone(const struct util_yaml_node *root, const struct util_yaml_node *item,
		    char **ret_kind, const struct util_yaml_node **ret_api)
{
	const struct util_yaml_node *kind = util_yaml_get(root, "kind");
	const struct util_yaml_node *api = util_yaml_get(root, "apiVersion"), *own;
	size_t len;

	*ret_kind = NULL;
	*ret_api = api;
	if (!api || api->type != UTIL_YAML_SCALAR)
		return false;
	if (kind) {
		len = kind->type == UTIL_YAML_SCALAR ? strlen(kind->str) : 0;
		if (len < 4 || strcmp(kind->str + len - 4, "List") != 0)
			return false; /* not a list: the document's reader says what it is */
		if (len > 4)
			*ret_kind = util_strndup(kind->str, len - 4);
		return true;
	}
	own = util_yaml_get(item, "kind");
	return own && own->type == UTIL_YAML_SCALAR;
}

/*
 * An item of a list as soon as it ends (the reader's item callback), when inv_item_alone().
 * Otherwise it is kept, and every item after it, for inv_document() to read in order.
 */
static int inv_item(void *data, const struct util_yaml_node *root,
		    const struct util_yaml_node *item)
{
	struct inv_ctx *ctx = data;
	const struct util_yaml_node *api;
	char *item_kind;
	int r;

	if (ctx->items_kept || !inv_item_alone(root, item, &item_kind, &api)) {
		ctx->items_kept = true;
		return 0;
	}
	r = inv_k8s_object(ctx, item, item_kind, api);
	free(item_kind);
	return r < 0 ? r : 1;
}

/* Each document that is not empty (the reader's callback). */
static int inv_document(void *data, const struct util_yaml_node *root)
{
	struct inv_ctx *ctx = data;
	int r;

	r = inv_document_read(ctx, root);
	ctx->items_kept = false;
	return r;
}

/* What no reader of the inventory looks at, and a real dump is full of. */
static const char *const inv_skipped_keys[] = {"managedFields", "annotations", NULL};

static const struct util_yaml_format inv_format = {
	.what = "an inventory",
	.empty = "not a kubectl or docker inspect inventory",
	.max_depth = INV_MAX_DEPTH,
	.max_size = INV_MAX_FILE_SIZE,
	.document = inv_document,
	.item = inv_item,
	.skip_keys = inv_skipped_keys,
};

/*
 * Standard input or a pipe can be read only once: its first bytes, read to see what it is, are
 * given back ahead of the rest, and the whole is read as it comes, never held.
 */
struct inv_prefixed {
	const unsigned char *head;
	size_t len, pos;
	FILE *rest;
};

static ssize_t inv_prefixed_read(void *cookie, char *buf, size_t size)
{
	struct inv_prefixed *p = cookie;
	size_t n;

	if (p->pos < p->len) {
		n = size < p->len - p->pos ? size : p->len - p->pos;
		memcpy(buf, p->head + p->pos, n);
		p->pos += n;
		return (ssize_t)n;
	}
	n = fread(buf, 1, size, p->rest);
	if (n == 0 && ferror(p->rest))
		return -1;
	return (ssize_t)n;
}

/* The first bytes of a file, for what it is before YAML is asked: 0 bytes when unreadable. */
static size_t inv_sniff(const char *path, unsigned char *head, size_t max)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return 0;
	n = fread(head, 1, max, f);
	fclose(f);
	return n;
}

/* One file into batch, which the caller clears; nothing in inv is touched. "-" is stdin. */
static int inv_load_batch(const char *path, struct inv_batch *batch, struct util_err *err)
{
	struct inv_ctx ctx = {.batch = batch};
	unsigned char head[512];
	struct inv_prefixed prefixed = {.head = head};
	FILE *in = NULL, *f = NULL;
	struct stat st;
	size_t n, i;
	int r;

	if (strcmp(path, "-") == 0) {
		in = stdin;
		path = "standard input";
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* a pipe (<(kubectl get ...)) or a FIFO: read once, as it comes */
		in = fopen(path, "re");
		if (!in)
			return util_err_set(err, errno, "%s: %s", path, strerror(errno));
	}
	if (in) {
		n = fread(head, 1, sizeof(head), in);
		prefixed.len = n;
		prefixed.rest = in;
		f = fopencookie(&prefixed, "r", (cookie_io_functions_t){.read = inv_prefixed_read});
		if (!f) {
			r = util_err_set(err, errno, "%s: %s", path, strerror(errno));
			goto out;
		}
	} else {
		n = inv_sniff(path, head, sizeof(head));
	}
	ctx.rd = (struct util_yaml_reader){
		.path = path, .err = err, .format = &inv_format, .userdata = &ctx};
	if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
		r = util_err_set(
			err, EINVAL,
			"%s: gzip-compressed: decompress it first (zcat %s >inventory.yaml)", path,
			in ? "FILE" : path);
		goto out;
	}
	r = f ? util_yaml_read_stream(&ctx.rd, f) : util_yaml_read_file(&ctx.rd);
	for (i = 0;
	     i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t');
	     i++)
		;
	/* `kubectl get -w -o json` writes one object per change, each after the last */
	if (r < 0 && ctx.rd.faulted && ctx.rd.fault == UTIL_YAML_SYNTAX && ctx.rd.n_docs > 0 &&
	    i < n && head[i] == '{')
		r = util_err_set(err, EINVAL,
				 "%s: JSON values one after another (kubectl get -w?): give one "
				 "'kubectl get ... -o json' list",
				 path);
	if (r == 0)
		batch->path = util_strdup(path);
out:
	if (f)
		fclose(f);
	if (in && in != stdin)
		fclose(in);
	return r;
}

int inventory_load(struct inventory *inv, const char *path, struct util_err *err)
{
	struct inv_batch batch = {0};
	int r;

	r = inv_load_batch(path, &batch, err);
	if (r < 0)
		goto out;
	if (!batch.n_pods && !batch.n_nodes && !batch.n_containers && !batch.n_objects)
		inv_warn(
			inv,
			"%s: holds no Pod, Node, controller or container, so it names no "
			"workload (kubectl get pods,nodes,... -A, or docker inspect of containers)",
			batch.path);
	/* nothing above touched inv: a file that fails, fails whole */
	inv->batches = util_reallocarray(inv->batches, inv->n_batches + 1, sizeof(*inv->batches));
	inv->batches[inv->n_batches++] = batch;
	memset(&batch, 0, sizeof(batch));
	inv_rebuild(inv);
out:
	inv_batch_clear(&batch);
	return r;
}

int inventory_reload(struct inventory *inv, const char *const *paths, size_t n,
		     struct util_err *err)
{
	struct inv_batch *batches = util_reallocarray(NULL, n, sizeof(*batches));
	int r = 0;

	memset(batches, 0, (n ? n : 1) * sizeof(*batches));
	for (size_t i = 0; i < n && r == 0; i++)
		r = inv_load_batch(paths[i], &batches[i], err);
	if (r < 0) {
		/* every file is read before anything is replaced: on failure nothing changes */
		for (size_t i = 0; i < n; i++)
			inv_batch_clear(&batches[i]);
		free(batches);
		return r;
	}
	for (size_t i = 0; i < inv->n_batches; i++)
		inv_batch_clear(&inv->batches[i]);
	free(inv->batches);
	inv->batches = batches;
	inv->n_batches = n;
	/* with streams, where a Service led before is kept until now */
	if (inv->n_streams)
		inv->changed_ns = util_now_ns(CLOCK_REALTIME);
	/* live containers are kept apart from the files' records, so they stay as they are */
	inv_rebuild(inv);
	return 0;
}
