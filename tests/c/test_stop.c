/* Range (epsilon) and document (multi-vector) searches through the C ABI: exact on
 * the brute-force index against a scan written here, high recall on HNSW against it,
 * library-allocated batch results, and every argument error.
 * Usage: test_stop <scratch dir> [fixtures dir] */
#include "check.h"

enum { DIM = 8, N = 1500, Q = 20, DOCS = 60 };
static const float EPS = 0.25f;

/* Number of rows within EPS of q. */
static size_t count_in_range(const float *data, const float *q) {
    size_t n = 0;
    for (size_t r = 0; r < N; r++) n += l2sq(q, data + r * DIM, DIM) <= EPS;
    return n;
}

static void add_all(const float *data, hnsw_index *index, hnsw_bf *bf) {
    uint64_t labels[N];
    for (size_t i = 0; i < N; i++) labels[i] = i;
    OK(hnsw_index_add_batch(index, data, N, labels, NULL));
    OK(hnsw_bf_add_batch(bf, data, N, labels));
}

static hnsw_bf *new_bf(void) {
    hnsw_space *space = NULL;
    hnsw_bf *bf = NULL;
    OK(hnsw_space_l2(DIM, &space));
    OK(hnsw_bf_new(space, N, &bf));
    hnsw_space_free(space);
    return bf;
}

static void test_range(void) {
    float *data = random_matrix(N, DIM, 31);
    float *queries = random_matrix(Q, DIM, 32);
    hnsw_index *index = new_l2_index(DIM, N);
    hnsw_bf *bf = new_bf();
    add_all(data, index, bf);

    /* Brute force: exactly the rows within EPS, closest first. */
    hnsw_results *exact = NULL;
    OK(hnsw_bf_range_search_batch(bf, queries, Q, EPS, N, NULL, &exact));
    CHECK(exact->rows == Q && exact->lims[0] == 0 && exact->docs == NULL);
    size_t in_range = 0, found_hnsw = 0;
    hnsw_search_options o = hnsw_search_options_default();
    o.ef = 200; /* min_candidates */
    hnsw_results *approx = NULL;
    OK(hnsw_index_range_search_batch(index, queries, Q, EPS, N, &o, &approx));
    for (size_t q = 0; q < Q; q++) {
        const float *qv = queries + q * DIM;
        size_t a = exact->lims[q], b = exact->lims[q + 1];
        CHECK(b - a == count_in_range(data, qv));
        for (size_t i = a; i < b; i++) {
            CHECK(exact->distances[i] <= EPS);
            CHECK(fabsf(exact->distances[i] - l2sq(qv, data + exact->labels[i] * DIM, DIM)) < 1e-5f);
            if (i > a) CHECK(exact->distances[i - 1] <= exact->distances[i]);
        }
        /* The single-query call into caller buffers gives the same. */
        uint64_t labels[N];
        float dist[N];
        size_t found = 0;
        OK(hnsw_bf_range_search(bf, qv, EPS, N, NULL, labels, dist, N, &found));
        CHECK(found == b - a && !memcmp(labels, exact->labels + a, found * sizeof(uint64_t)));
        /* max_results keeps the closest; unused entries are UINT64_MAX / INFINITY. */
        uint64_t few[3];
        float few_d[3];
        OK(hnsw_bf_range_search(bf, qv, EPS, 3, NULL, few, few_d, 3, &found));
        CHECK(found == (b - a < 3 ? b - a : 3));
        for (size_t i = 0; i < 3; i++) {
            if (i < found) CHECK(few[i] == exact->labels[a + i]);
            else CHECK(few[i] == UINT64_MAX && isinf(few_d[i]));
        }
        /* HNSW: in range only, and most of what is in range. */
        in_range += b - a;
        for (size_t i = approx->lims[q]; i < approx->lims[q + 1]; i++) {
            CHECK(approx->distances[i] <= EPS);
            for (size_t j = a; j < b; j++) found_hnsw += exact->labels[j] == approx->labels[i];
        }
        OK(hnsw_index_range_search(index, qv, EPS, N, &o, labels, dist, N, &found));
        CHECK(found == approx->lims[q + 1] - approx->lims[q]);
    }
    CHECK(in_range > 100);
    CHECK(found_hnsw >= in_range * 95 / 100);
    hnsw_results_free(exact);
    hnsw_results_free(approx);
    hnsw_results_free(NULL);

    /* Errors. */
    uint64_t l[4];
    float d[4];
    size_t found = 0;
    hnsw_results *r = NULL;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "NaN", hnsw_index_range_search(index, queries, NAN, 4, NULL, l, d, 4, &found));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "at least 0", hnsw_bf_range_search(bf, queries, -1.0f, 4, NULL, l, d, 4, &found));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "max_results", hnsw_index_range_search(index, queries, 1.0f, 0, NULL, l, d, 4, &found));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "max_results", hnsw_bf_range_search_batch(bf, queries, 2, 1.0f, 0, NULL, &r));
    FAILS(HNSW_ERR_BUFFER_TOO_SMALL, "needed", hnsw_index_range_search(index, queries, 1.0f, 5, NULL, l, d, 4, &found));
    FAILS(HNSW_ERR_NULL_POINTER, "index", hnsw_index_range_search(NULL, queries, 1.0f, 4, NULL, l, d, 4, &found));
    FAILS(HNSW_ERR_NULL_POINTER, "bf", hnsw_bf_range_search_batch(NULL, queries, 1, 1.0f, 4, NULL, &r));
    FAILS(HNSW_ERR_NULL_POINTER, "query", hnsw_index_range_search(index, NULL, 1.0f, 4, NULL, l, d, 4, &found));
    FAILS(HNSW_ERR_NULL_POINTER, "labels", hnsw_bf_range_search(bf, queries, 1.0f, 4, NULL, NULL, d, 4, &found));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_range_search_batch(index, queries, 1, 1.0f, 4, NULL, NULL));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "no vectors", hnsw_index_range_search_batch(index, queries, 0, 1.0f, 4, NULL, &r));
    CHECK(r == NULL);

    hnsw_index_free(index);
    hnsw_bf_free(bf);
    free(data);
    free(queries);
}

/* Documents: label i belongs to document docs[i]. */
static uint64_t docs[N];
static uint64_t doc_of(uint64_t label, void *user_data) {
    (void)user_data;
    return label < N ? docs[label] : UINT64_MAX;
}
static uint64_t no_doc_for_odd(uint64_t label, void *user_data) {
    return label % 2 ? UINT64_MAX : doc_of(label, user_data);
}

static void test_docs(void) {
    float *data = random_matrix(N, DIM, 41);
    float *queries = random_matrix(Q, DIM, 42);
    for (size_t i = 0; i < N; i++) docs[i] = (i * 7919) % DOCS;
    hnsw_index *index = new_l2_index(DIM, N);
    hnsw_bf *bf = new_bf();
    add_all(data, index, bf);

    enum { K = 5 };
    size_t same = 0;
    hnsw_search_options o = hnsw_search_options_default();
    o.ef = 20; /* ef_collection */
    for (size_t q = 0; q < Q; q++) {
        const float *qv = queries + q * DIM;
        uint64_t d1[K], l1[K], d2[K], l2[K];
        float x1[K], x2[K];
        size_t f1 = 0, f2 = 0;
        OK(hnsw_bf_search_docs(bf, qv, K, NULL, doc_of, NULL, d1, l1, x1, K, &f1));
        OK(hnsw_index_search_docs(index, qv, K, &o, doc_of, NULL, d2, l2, x2, K, &f2));
        CHECK(f1 == K && f2 == K);
        /* Exact: each document's closest vector, documents distinct, closest first. */
        for (size_t i = 0; i < K; i++) {
            CHECK(docs[l1[i]] == d1[i]);
            for (size_t r = 0; r < N; r++) {
                if (docs[r] == d1[i]) CHECK(l2sq(qv, data + r * DIM, DIM) >= x1[i] - 1e-6f);
            }
            if (i > 0) CHECK(x1[i - 1] <= x1[i] && d1[i - 1] != d1[i]);
            for (size_t j = 0; j < K; j++) same += d2[j] == d1[i];
        }
        /* The hits: every vector found of the K documents, with its document. */
        hnsw_results *hits = NULL;
        OK(hnsw_index_search_doc_hits(index, qv, K, &o, doc_of, NULL, &hits));
        CHECK(hits->rows == 1 && hits->docs != NULL && hits->lims[1] >= K);
        for (size_t i = 0; i < hits->lims[1]; i++) CHECK(docs[hits->labels[i]] == hits->docs[i]);
        CHECK(hits->labels[0] == l2[0]);
        hnsw_results_free(hits);
        /* Unmapped labels are never returned. */
        OK(hnsw_index_search_docs(index, qv, K, &o, no_doc_for_odd, NULL, d2, l2, x2, K, &f2));
        for (size_t i = 0; i < f2; i++) CHECK(l2[i] % 2 == 0);
    }
    CHECK(same >= Q * K * 95 / 100);

    uint64_t d[K], l[K];
    float x[K];
    size_t f = 0;
    hnsw_results *r = NULL;
    FAILS(HNSW_ERR_NULL_POINTER, "doc_of", hnsw_index_search_docs(index, queries, K, NULL, NULL, NULL, d, l, x, K, &f));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "at least 1", hnsw_bf_search_docs(bf, queries, 0, NULL, doc_of, NULL, d, l, x, K, &f));
    FAILS(HNSW_ERR_BUFFER_TOO_SMALL, "needed", hnsw_index_search_docs(index, queries, K, NULL, doc_of, NULL, d, l, x, K - 1, &f));
    FAILS(HNSW_ERR_NULL_POINTER, "docs", hnsw_index_search_docs(index, queries, K, NULL, doc_of, NULL, NULL, l, x, K, &f));
    FAILS(HNSW_ERR_NULL_POINTER, "index", hnsw_index_search_doc_hits(NULL, queries, K, NULL, doc_of, NULL, &r));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "at least 1", hnsw_index_search_doc_hits(index, queries, 0, NULL, doc_of, NULL, &r));
    CHECK(r == NULL);

    hnsw_index_free(index);
    hnsw_bf_free(bf);
    free(data);
    free(queries);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    RUN(test_range);
    RUN(test_docs);
    return 0;
}
