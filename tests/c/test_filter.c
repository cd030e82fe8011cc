/* Label filters held as data (hnsw_label_filter_allow / _mask / _bits in
 * hnsw_search_options.label_filter): k-NN, range and document searches on HNSW (at an
 * ef that makes it exact) and brute force against a filtered scan written here; an
 * allow-list with labels not in the index, an empty one, a mask shorter than the
 * largest label, a filter combined with a callback; argument errors.
 * Usage: test_filter <scratch dir> [fixtures dir] */
#include "check.h"

#include <stdbool.h>

enum { DIM = 6, N = 400, Q = 12, K = 5 };

/* Element i has label 3 * i. */
static uint64_t label_of(size_t i) { return 3 * (uint64_t)i; }

typedef bool (*accept_fn)(uint64_t label);

/* The K closest accepted labels of q, closest first; returns how many. */
static size_t scan(const float *data, const float *q, accept_fn ok, uint64_t *out, float *dist) {
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        if (!ok(label_of(i))) continue;
        float d = l2sq(q, data + i * DIM, DIM);
        size_t at = n < K ? n++ : K;
        if (at == K && d >= dist[K - 1]) continue;
        if (at == K) at = K - 1;
        while (at > 0 && dist[at - 1] > d) {
            dist[at] = dist[at - 1];
            out[at] = out[at - 1];
            at--;
        }
        dist[at] = d;
        out[at] = label_of(i);
    }
    return n;
}

static bool even(uint64_t l) { return l % 2 == 0; }
static bool mask_rule(uint64_t l) { return l < N && l % 4 == 1; }
static bool bits_rule(uint64_t l) { return l < 640 && l % 5 == 0; }
static bool even_and_odd_third(uint64_t l) { return even(l) && (l / 3) % 2 == 1; }
static bool none(uint64_t l) { (void)l; return false; }

static bool odd_third(uint64_t label, void *user_data) {
    (void)user_data;
    return (label / 3) % 2 == 1;
}

/* Searches every query with `f` (and the callback when given) on both indexes and
 * compares with the scan under `rule`. */
static void compare(hnsw_index *index, hnsw_bf *bf, const float *data, const float *queries,
                    const hnsw_label_filter *f, hnsw_filter_fn callback, accept_fn rule) {
    hnsw_search_options o = hnsw_search_options_default();
    o.ef = N;
    o.label_filter = f;
    o.filter = callback;
    for (size_t q = 0; q < Q; q++) {
        const float *qv = queries + q * DIM;
        uint64_t want[K], got[K], got_bf[K];
        float want_d[K], got_d[K], got_bf_d[K];
        size_t n = scan(data, qv, rule, want, want_d), found = 0, found_bf = 0;
        OK(hnsw_index_knn(index, qv, K, &o, got, got_d, K, &found));
        OK(hnsw_bf_knn(bf, qv, K, &o, got_bf, got_bf_d, K, &found_bf));
        CHECK(found == n && found_bf == n);
        for (size_t i = 0; i < n; i++) {
            CHECK(got[i] == want[i] && got_bf[i] == want[i]);
            CHECK(fabsf(got_d[i] - want_d[i]) < 1e-5f);
        }
    }
    /* The batch search and the range search honour it too. */
    uint64_t labels[Q * K];
    float dist[Q * K];
    size_t counts[Q];
    OK(hnsw_index_knn_batch(index, queries, Q, K, &o, labels, dist, Q * K, counts));
    for (size_t q = 0; q < Q; q++)
        for (size_t i = 0; i < counts[q]; i++) CHECK(rule(labels[q * K + i]));
    hnsw_results *r = NULL;
    OK(hnsw_bf_range_search_batch(bf, queries, Q, 1e9f, N, &o, &r));
    for (size_t q = 0; q < Q; q++) {
        size_t expect = 0;
        for (size_t i = 0; i < N; i++) expect += rule(label_of(i));
        CHECK(r->lims[q + 1] - r->lims[q] == expect);
    }
    for (size_t i = 0; i < r->lims[Q]; i++) CHECK(rule(r->labels[i]));
    hnsw_results_free(r);
}

static void test_filters_match_a_filtered_scan(void) {
    float *data = random_matrix(N, DIM, 41);
    float *queries = random_matrix(Q, DIM, 42);
    hnsw_index *index = new_l2_index(DIM, N);
    hnsw_space *space = NULL;
    hnsw_bf *bf = NULL;
    OK(hnsw_space_l2(DIM, &space));
    OK(hnsw_bf_new(space, N, &bf));
    hnsw_space_free(space);
    uint64_t labels[N];
    for (size_t i = 0; i < N; i++) labels[i] = label_of(i);
    OK(hnsw_index_add_batch(index, data, N, labels, NULL));
    OK(hnsw_bf_add_batch(bf, data, N, labels));

    /* Every even number up to 3N, most of them not in the index, and two far beyond. */
    enum { EVENS = 3 * N / 2 + 2 };
    uint64_t evens[EVENS];
    for (size_t i = 0; i < 3 * N / 2; i++) evens[i] = 2 * i;
    evens[EVENS - 2] = 1000000000000ull;
    evens[EVENS - 1] = UINT64_MAX - 1;
    hnsw_label_filter *allow = NULL;
    OK(hnsw_label_filter_allow(evens, EVENS, &allow));
    compare(index, bf, data, queries, allow, NULL, even);
    /* With a callback as well: a label must pass both. */
    compare(index, bf, data, queries, allow, odd_third, even_and_odd_third);

    /* A byte mask covering labels below N only (the largest label is 3N - 3). */
    uint8_t mask[N];
    for (size_t l = 0; l < N; l++) mask[l] = (l % 4 == 1) ? 7 : 0;
    hnsw_label_filter *m = NULL;
    OK(hnsw_label_filter_mask(mask, N, &m));
    compare(index, bf, data, queries, m, NULL, mask_rule);

    /* A bit set of ten words: labels below 640. */
    uint64_t words[10] = {0};
    for (uint64_t l = 0; l < 640; l += 5) words[l / 64] |= 1ull << (l % 64);
    hnsw_label_filter *b = NULL;
    OK(hnsw_label_filter_bits(words, 10, &b));
    compare(index, bf, data, queries, b, NULL, bits_rule);
    bool accepted = true;
    OK(hnsw_label_filter_accepts(b, 640, &accepted));
    CHECK(!accepted);
    OK(hnsw_label_filter_accepts(b, 635, &accepted));
    CHECK(accepted);

    /* An empty allow-list: every search finds nothing. */
    hnsw_label_filter *empty = NULL;
    OK(hnsw_label_filter_allow(NULL, 0, &empty));
    compare(index, bf, data, queries, empty, NULL, none);

    hnsw_label_filter_free(allow);
    hnsw_label_filter_free(m);
    hnsw_label_filter_free(b);
    hnsw_label_filter_free(empty);
    hnsw_label_filter_free(NULL);
    hnsw_index_free(index);
    hnsw_bf_free(bf);
    free(data);
    free(queries);
}

static void test_argument_errors(void) {
    hnsw_label_filter *f = NULL;
    uint64_t one = 1;
    FAILS(HNSW_ERR_NULL_POINTER, "labels", hnsw_label_filter_allow(NULL, 3, &f));
    FAILS(HNSW_ERR_NULL_POINTER, "mask", hnsw_label_filter_mask(NULL, 3, &f));
    FAILS(HNSW_ERR_NULL_POINTER, "words", hnsw_label_filter_bits(NULL, 3, &f));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_label_filter_allow(&one, 1, NULL));
    bool accepted;
    FAILS(HNSW_ERR_NULL_POINTER, "filter", hnsw_label_filter_accepts(NULL, 1, &accepted));
    OK(hnsw_label_filter_allow(&one, 1, &f));
    FAILS(HNSW_ERR_NULL_POINTER, "accepted", hnsw_label_filter_accepts(f, 1, NULL));
    hnsw_label_filter_free(f);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    RUN(test_filters_match_a_filtered_scan);
    RUN(test_argument_errors);
    return 0;
}
