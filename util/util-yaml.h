/* SPDX-License-Identifier: Apache-2.0 */
/* util-yaml.h - YAML and JSON: the one reader (an event stream, and the tree built from it), its
 * error wording, and the one emitter. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

/* ---- Faults ------------------------------------------------------------------------------ */

/*
 * What a reader of YAML may refuse. Neither the stream nor the tree words an error itself: each
 * fault goes to the caller's fault callback, which writes its own one-line message.
 */
enum util_yaml_fault_kind {
	UTIL_YAML_NOMEM,     /* libyaml's parser could not be initialised */
	UTIL_YAML_TOO_BIG,   /* a FILE longer than max_input */
	UTIL_YAML_TOO_LONG,  /* libyaml read more than max_lookahead past the last event */
	UTIL_YAML_READ,	     /* a FILE read failed: error */
	UTIL_YAML_SYNTAX,    /* libyaml refused the text: problem and context, each maybe NULL */
	UTIL_YAML_ANCHOR,    /* an anchor (&name) */
	UTIL_YAML_ALIAS,     /* an alias (*name) */
	UTIL_YAML_DOCUMENTS, /* a second document where opts->one_document */
	UTIL_YAML_VALUES,    /* more than max_values nodes */
	UTIL_YAML_DEPTH,     /* collections nested deeper than max_depth */
	UTIL_YAML_NUL,	     /* a NUL byte in a scalar */
	UTIL_YAML_DUPLICATE, /* a mapping names one key twice: problem is the key, untrusted */
	UTIL_YAML_EMPTY,     /* no document at all, when the root is returned */
};

struct util_yaml_fault {
	enum util_yaml_fault_kind kind;
	size_t line, col; /* 1-based; where libyaml stopped or where the refused node starts */
	const char *problem, *context;
	int error;
	/* SYNTAX: where context starts; whether libyaml ran out of memory */
	size_t context_line, context_col;
	bool nomem;
	/* SYNTAX: the text is no YAML text at all (bad UTF-8, a control character) at this byte;
	 * libyaml then gives no line, and line:col stay 1:1 */
	bool text;
	size_t offset;
};

/* ---- The event stream --------------------------------------------------------------------- */

/*
 * libyaml's events, one at a time, for readers that keep only what they need (the state file).
 * Aliases and anchors are refused as faults; everything else is handed on as it is.
 */
enum util_yaml_event_type {
	UTIL_YAML_EV_STREAM_START,
	UTIL_YAML_EV_STREAM_END,
	UTIL_YAML_EV_DOC_START,
	UTIL_YAML_EV_DOC_END,
	UTIL_YAML_EV_SCALAR,
	UTIL_YAML_EV_SEQ_START,
	UTIL_YAML_EV_SEQ_END,
	UTIL_YAML_EV_MAP_START,
	UTIL_YAML_EV_MAP_END,
};

struct util_yaml_mark {
	size_t line, col; /* 1-based */
};

struct util_yaml_event {
	enum util_yaml_event_type type;
	struct util_yaml_mark start;
	const char *str; /* scalars: the text, valid until the next event; may hold NUL bytes */
	size_t len;
	bool plain;  /* an unquoted scalar: may be null, a boolean or a number */
	bool tagged; /* a node with a tag (!x, !!str) */
	bool utf8;   /* the stream's start: its text is UTF-8, not UTF-16 */
};

struct util_yaml_stream_opts {
	size_t max_input;     /* bytes read from a FILE; 0: no limit */
	size_t max_lookahead; /* bytes read past the end of the last event (characters); 0: none */
	/* Words the fault into the caller's error and returns its -errno. */
	int (*fault)(void *userdata, const struct util_yaml_fault *f);
	void *userdata;
};

struct util_yaml_stream;
/* Reads f, or when f is NULL len bytes of buf; a fault (NOMEM) is returned as the callback's. */
int util_yaml_stream_open(FILE *f, const char *buf, size_t len,
			  const struct util_yaml_stream_opts *opts, struct util_yaml_stream **ret);
/* The next event into ev; 0, or the fault callback's return. After STREAM_END, -EINVAL. */
int util_yaml_stream_next(struct util_yaml_stream *s, struct util_yaml_event *ev);
struct util_yaml_stream *util_yaml_stream_close(struct util_yaml_stream *s); /* NULL-safe */

/* ---- The document tree ------------------------------------------------------------------- */

/*
 * The tree the inventory and policy readers build from the event stream and then walk.
 * Anchors, aliases and NUL bytes in strings are refused; every node keeps the 1-based line and
 * column where it starts.
 */
enum util_yaml_type {
	UTIL_YAML_SCALAR,
	UTIL_YAML_SEQ,
	UTIL_YAML_MAP,
};

struct util_yaml_node {
	enum util_yaml_type type;
	bool plain;  /* an unquoted scalar: may be null, a boolean or a number */
	bool pooled; /* the builder's own: in the pool of the item being read, not freed alone */
	size_t line, col;
	char *str;		      /* scalars: text without NUL bytes */
	struct util_yaml_node **kids; /* sequence items; mapping keys and values alternating */
	size_t n_kids, cap_kids;
};

struct util_yaml_opts {
	size_t max_depth;  /* nesting of sequences and mappings */
	size_t max_values; /* nodes in the whole input; 0: no limit */
	size_t max_input;  /* bytes read from a FILE; 0: no limit */
	bool one_document; /* a second document is a fault (JSON is one value) */
	/* Words the fault into the caller's error and returns its -errno. */
	int (*fault)(void *userdata, const struct util_yaml_fault *f);
	/*
	 * Given each document's root (NULL when empty) as soon as it ends; the tree is freed after.
	 * A negative return stops the parse and is returned. When NULL, the last document's root is
	 * given to the caller instead, and no document at all is UTIL_YAML_EMPTY.
	 */
	int (*document)(void *userdata, const struct util_yaml_node *root);
	/*
	 * Given each item of a document's top-level "items" sequence as soon as it ends, with the
	 * root as read so far (the keys before "items", the items kept, this one last). 1: taken,
	 * and freed at once, so that a long list is never held whole; 0: kept in the tree for
	 * document(); < 0 stops the parse.
	 */
	int (*item)(void *userdata, const struct util_yaml_node *root,
		    const struct util_yaml_node *item);
	/* Keys whose values are dropped as they are read, never built, at any depth; NULL-ended. */
	const char *const *skip_keys;
	void *userdata;
};

/* ret_root is written only when opts->document is NULL, and then must not be NULL. */
int util_yaml_parse_file(FILE *f, const struct util_yaml_opts *opts,
			 struct util_yaml_node **ret_root);
int util_yaml_parse_buffer(const char *buf, size_t len, const struct util_yaml_opts *opts,
			   struct util_yaml_node **ret_root);
struct util_yaml_node *util_yaml_free(struct util_yaml_node *n); /* NULL-safe, returns NULL */
/* A YAML null: a plain "", "~", "null", "Null" or "NULL" scalar. */
bool util_yaml_is_null(const struct util_yaml_node *n);
/* The first value under key in a mapping, or NULL (also when map is NULL or not a mapping). */
const struct util_yaml_node *util_yaml_get(const struct util_yaml_node *map, const char *key);

/*
 * Reading a file of Kubernetes-style objects through the tree (the inventory, policy files):
 * where its errors go and how they are worded, so that every such file fails alike. Messages
 * are one line, "PATH:LINE:COL: MESSAGE" for a problem in the text. The caller fills a reader's
 * fields up to userdata, often in a reader embedded in its own context, and the rest zeroed.
 */
#define UTIL_YAML_SHOW_MAX 60 /* untrusted text in a message is escaped and cut to this */
#define UTIL_YAML_SHOW_LEN (UTIL_YAML_SHOW_MAX + 4)

/* A kind of file (an inventory, a policy file): fixed, one for each caller. */
struct util_yaml_format {
	const char *what;  /* in fault messages: "an inventory", "a policy file" */
	const char *empty; /* why a file without objects fails: "no Kubernetes objects" */
	size_t max_depth;  /* nesting of sequences and mappings */
	size_t max_size;   /* bytes; a whole number of MiB, as messages say it in MiB */
	/* Given each document that is not empty; a negative return stops the read. */
	int (*document)(void *userdata, const struct util_yaml_node *root);
	/* As struct util_yaml_opts's, both optional. */
	int (*item)(void *userdata, const struct util_yaml_node *root,
		    const struct util_yaml_node *item);
	const char *const *skip_keys;
};

/* One file being read. */
struct util_yaml_reader {
	const char *path;     /* the file's name in every message */
	struct util_err *err; /* where the one failure goes */
	const struct util_yaml_format *format;
	void *userdata; /* for format->document */
	/*
	 * What is being read, for messages, "" when nothing; only validated names go in. subject
	 * ("pod NS/NAME") is for the caller to word into its own messages, and util_yaml_field()
	 * adds " on SUBJECT"; suffix (" in networkpolicy NS/NAME") ends every message as it is.
	 */
	char subject[400];
	char suffix[400];
	/* added to every line a message names: the text read starts on line line_offset + 1 of
	 * the file (a value in a stream of them) */
	size_t line_offset;
	size_t n_docs; /* documents given to document() so far */
	/* the fault that ended the read, when the text itself was at fault */
	bool faulted;
	enum util_yaml_fault_kind fault;
};

/*
 * Opens rd->path (anything but a directory; a larger file than max_size fails before it is
 * read) and reads it; _buffer reads len bytes of buf instead. Each calls format->document once
 * per document; a file without any is -EINVAL. Returns 0 or the -errno that went into rd->err.
 */
int util_yaml_read_file(struct util_yaml_reader *rd);
int util_yaml_read_buffer(struct util_yaml_reader *rd, const char *buf, size_t len);
/* Reads f, which the caller opened (a pipe, standard input), to its end, as it comes. */
int util_yaml_read_stream(struct util_yaml_reader *rd, FILE *f);
/* "PATH:LINE:COL: MESSAGE" (1:1 when at is NULL) and suffix into rd->err; returns -EINVAL. */
int util_yaml_fail(struct util_yaml_reader *rd, const struct util_yaml_node *at, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
/*
 * key's value in map (map may be NULL) when it has type want; absent and null both give NULL.
 * Another type fails: "KEY is not a mapping" and the subject.
 */
int util_yaml_field(struct util_yaml_reader *rd, const struct util_yaml_node *map, const char *key,
		    enum util_yaml_type want, const struct util_yaml_node **ret);
/* "a scalar", "a sequence", "a mapping". */
const char *util_yaml_type_name(enum util_yaml_type t);
/*
 * Untrusted text for a message, escaped and cut to UTIL_YAML_SHOW_MAX characters in buf.
 * _node shows a scalar's text, and a collection as "(a sequence)" or "(a mapping)".
 */
const char *util_yaml_show(const char *s, char buf[static UTIL_YAML_SHOW_LEN]);
const char *util_yaml_show_node(const struct util_yaml_node *n,
				char buf[static UTIL_YAML_SHOW_LEN]);

/* ---- The emitter -------------------------------------------------------------------------- */

/*
 * libyaml's emitter, the one way flowlock writes YAML and JSON: UTF-8 as it is, "\n" line breaks,
 * lines never wrapped, two-space indents. The first failure is kept and later events are
 * dropped, so a renderer writes straight through and looks once, at the end. With an err, the
 * failure is also worded there as "cannot write WHAT: PROBLEM".
 */
struct util_yaml_out;
#define UTIL_YAML_OUT_JSON	   0x1 /* flow style, every string double-quoted: one JSON value */
#define UTIL_YAML_OUT_ADDRESSES	   0x2 /* plain strings may also be addresses and ids (see _str) */
#define UTIL_YAML_OUT_ONE_DOCUMENT 0x4 /* its start is not marked with "---" (JSON: always) */
/*
 * Starts a stream into out, or into memory when out is NULL (util_yaml_out_close hands it over).
 * Fails only when libyaml cannot set up: -ENOMEM, "cannot set up the YAML emitter" in err.
 */
int util_yaml_out_open(FILE *out, unsigned flags, const char *what, struct util_err *err,
		       struct util_yaml_out **ret);
/*
 * Starts a stream written to fd as libyaml's buffer fills, for what is too big to hold (a state
 * file). A failed write stops it: its errno goes to *ret_errno (0 until then) and
 * util_yaml_out_close() returns it negated. Fails only when libyaml cannot set up (-ENOMEM).
 */
int util_yaml_out_open_fd(int fd, unsigned flags, int *ret_errno, struct util_yaml_out **ret);
/*
 * Ends the stream, flushes it and frees o. Returns the first failure, or 0; for a stream into
 * memory, the bytes go to ret_buf and ret_len (the caller frees them) when nothing failed.
 * ret_problem, when not NULL, gets the first failure's words (static text, or NULL).
 */
int util_yaml_out_close(struct util_yaml_out *o, char **ret_buf, size_t *ret_len,
			const char **ret_problem);
/* 0 while nothing has failed; else the failure. A renderer records its own with _fail. */
int util_yaml_out_error(const struct util_yaml_out *o);
void util_yaml_out_fail(struct util_yaml_out *o, int r);
/* A document: in YAML, its start is "---" unless UTIL_YAML_OUT_ONE_DOCUMENT. */
void util_yaml_out_document_start(struct util_yaml_out *o);
void util_yaml_out_document_end(struct util_yaml_out *o);
/* Block style in YAML; _flow_ always on one line: {refused: 1, unanswered: 0}, [22, 80]. */
void util_yaml_out_map_start(struct util_yaml_out *o);
void util_yaml_out_flow_map_start(struct util_yaml_out *o);
void util_yaml_out_map_end(struct util_yaml_out *o);
void util_yaml_out_seq_start(struct util_yaml_out *o);
void util_yaml_out_flow_seq_start(struct util_yaml_out *o);
void util_yaml_out_seq_end(struct util_yaml_out *o);
/*
 * A string, plain in YAML only where every reader (YAML 1.1 and 1.2, kubectl's included) reads
 * it back as that string, else double-quoted: a letter first; letters, digits and ".-_/"; not a
 * 1.1 boolean or null. UTIL_YAML_OUT_ADDRESSES also lets ':' inside and a digit first when a
 * '/' follows (CIDRs), which no YAML number, time or key has: the state file has always been
 * written so, the policies not.
 */
void util_yaml_out_str(struct util_yaml_out *o, const char *s);
/* A key the program spells itself, a literal that passes the rule above: plain, unchecked. */
void util_yaml_out_key(struct util_yaml_out *o, const char *key);
/* Always double-quoted (a time, which YAML readers would take for a date). */
void util_yaml_out_quoted(struct util_yaml_out *o, const char *s);
/* A number, plain. */
void util_yaml_out_u64(struct util_yaml_out *o, uint64_t v);
/* A mapping's key and value, both strings. */
void util_yaml_out_kv(struct util_yaml_out *o, const char *key, const char *value);
