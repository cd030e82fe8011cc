/* Quantized indexes (HNSW_QUANT_SQ8, HNSW_QUANT_SQ4) through the C ABI: recall against
 * brute force after exact re-ranking, exact distances, per-call and per-index rerank,
 * training, codes-only storage and its save/serialize error, and hnswlib files loaded
 * into quantized indexes. Usage: test_quantized <scratch dir> <fixtures dir> */
#include "check.h"

static const char *scratch;
static const char *fixtures;

/* The elements a quantized index holds before it learns its codes (hnswlib-core's
 * TRAIN_MIN, stated in the header's docs). */
enum { TRAIN_MIN = 1000 };

/* Embedding-like data: rows around `clusters` random centres in [-1, 1)^dim (drawn
 * from `centre_seed`), each coordinate off its centre by up to 0.35 (drawn from
 * `seed`). Queries share the data's centre seed and have their own seed. */
static float *clustered(size_t rows, size_t dim, size_t clusters, uint64_t centre_seed, uint64_t seed) {
    float *centres = random_matrix(clusters, dim, centre_seed);
    float *noise = random_matrix(rows, dim, 1000 + seed);
    float *pick = random_matrix(rows, 1, 2000 + seed);
    float *out = malloc(rows * dim * sizeof(float));
    CHECK(out != NULL);
    for (size_t i = 0; i < rows; i++) {
        size_t c = (size_t)(pick[i] * (float)clusters) % clusters;
        for (size_t j = 0; j < dim; j++)
            out[i * dim + j] = (2 * centres[c * dim + j] - 1) + 0.35f * (2 * noise[i * dim + j] - 1);
    }
    free(centres);
    free(noise);
    free(pick);
    return out;
}

static hnsw_params quantized_params(size_t max_elements, hnsw_quantization mode, bool keep_vectors) {
    hnsw_params p = hnsw_params_default();
    p.max_elements = max_elements;
    p.M = 12;
    p.ef_construction = 100;
    p.quantization = mode;
    p.keep_vectors = keep_vectors;
    return p;
}

/* An index of `space` holding `rows` rows of `data` under labels 0..rows-1, built on
 * one thread, so that the graph (and every recall below) is the same on every run. */
static hnsw_index *build(const hnsw_space *space, const hnsw_params *p, const float *data, size_t rows) {
    hnsw_index *index = NULL;
    OK(hnsw_index_new(space, p, &index));
    hnsw_add_options ao = hnsw_add_options_default();
    ao.num_threads = 1;
    OK(hnsw_index_add_batch(index, data, rows, NULL, &ao));
    return index;
}

/* Clustered rows and queries of a space, with the exact answers of brute force. */
typedef struct {
    size_t n, dim, nq, k;
    float *data, *queries;
    hnsw_space *space;
    uint64_t *exact; /* k labels per query (labels are row numbers) */
} dataset;

static dataset dataset_new(const char *space, size_t n, size_t dim, size_t clusters, size_t nq, size_t k,
                           uint64_t seed) {
    dataset d = {n, dim, nq, k, clustered(n, dim, clusters, seed, 1), clustered(nq, dim, clusters, seed, 2),
                 NULL, malloc(nq * k * sizeof(uint64_t))};
    OK(hnsw_space_new(space, dim, &d.space));
    hnsw_bf *bf = NULL;
    OK(hnsw_bf_new(d.space, n, &bf));
    uint64_t *labels = malloc(n * sizeof(uint64_t));
    for (size_t i = 0; i < n; i++) labels[i] = i;
    OK(hnsw_bf_add_batch(bf, d.data, n, labels));
    free(labels);
    float *dist = malloc(nq * k * sizeof(float));
    OK(hnsw_bf_knn_batch(bf, d.queries, nq, k, NULL, d.exact, dist, nq * k, NULL));
    free(dist);
    hnsw_bf_free(bf);
    return d;
}

static void dataset_free(dataset *d) {
    free(d->data);
    free(d->queries);
    free(d->exact);
    hnsw_space_free(d->space);
}

/* An index of the data set's rows (M 12, ef_construction 100) in `mode`. */
static hnsw_index *build_set(const dataset *d, hnsw_quantization mode, bool keep_vectors) {
    hnsw_params p = quantized_params(d->n, mode, keep_vectors);
    return build(d->space, &p, d->data, d->n);
}

/* Mean recall@k of `index` over the data set's queries with search options `so`. */
static double recall(const hnsw_index *index, const dataset *set, const hnsw_search_options *so) {
    size_t nq = set->nq, k = set->k;
    uint64_t *got = malloc(nq * k * sizeof(uint64_t));
    float *d = malloc(nq * k * sizeof(float));
    size_t *counts = malloc(nq * sizeof(size_t));
    OK(hnsw_index_knn_batch(index, set->queries, nq, k, so, got, d, nq * k, counts));
    size_t hits = 0;
    for (size_t q = 0; q < nq; q++) {
        CHECK(counts[q] == k);
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) hits += got[q * k + i] == set->exact[q * k + j];
    }
    free(got);
    free(d);
    free(counts);
    return (double)hits / (double)(nq * k);
}

static bool same_bytes(const hnsw_index *a, const hnsw_index *b) {
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    OK(hnsw_index_serialize(a, &x, &nx));
    OK(hnsw_index_serialize(b, &y, &ny));
    bool same = nx == ny && !memcmp(x, y, nx);
    hnsw_buffer_free(x, nx);
    hnsw_buffer_free(y, ny);
    return same;
}

/* On clustered data, at the same ef as an unquantized index, sq8 re-ranked exactly
 * (default depth) finds what it finds, within 0.01 of its recall. sq4 does too with
 * a deeper rerank: its default (4 x k) falls short on cosine here (about 0.93 where
 * the others reach 1.0), re-ranking the whole candidate list (10 x k at ef 100)
 * closes the gap. Both link the same graph as the unquantized build (construction
 * scores exactly while the vectors are kept). */
static void test_recall_against_brute_force(void) {
    const char *spaces[] = {"l2", "ip", "cosine"};
    for (int s = 0; s < 3; s++) {
        dataset set = dataset_new(spaces[s], 4000, 48, 30, 200, 10, 7);
        hnsw_index *plain = build_set(&set, HNSW_QUANT_NONE, true);
        hnsw_index *sq8 = build_set(&set, HNSW_QUANT_SQ8, true);
        hnsw_index *sq4 = build_set(&set, HNSW_QUANT_SQ4, true);

        hnsw_search_options so = hnsw_search_options_default();
        so.ef = 20;
        double plain20 = recall(plain, &set, &so);
        double sq8_20 = recall(sq8, &set, &so);
        so.ef = 100;
        double plain100 = recall(plain, &set, &so);
        double sq4_default = recall(sq4, &set, &so);
        so.rerank = 1;
        double sq4_shallow = recall(sq4, &set, &so);
        so.rerank = 10;
        double sq4_deep = recall(sq4, &set, &so);
        printf("     %-6s recall@10: ef 20 none %.4f sq8 %.4f; ef 100 none %.4f sq4 %.4f "
               "(rerank 1: %.4f, 10: %.4f)\n",
               spaces[s], plain20, sq8_20, plain100, sq4_default, sq4_shallow, sq4_deep);
        CHECK(sq8_20 >= plain20 - 0.01);
        CHECK(sq4_deep >= plain100 - 0.01);
        /* The per-call rerank reaches the search. */
        CHECK(sq4_deep > sq4_shallow);

        CHECK(same_bytes(plain, sq8));
        CHECK(same_bytes(plain, sq4));
        hnsw_index_free(plain);
        hnsw_index_free(sq8);
        hnsw_index_free(sq4);
        dataset_free(&set);
    }
}

/* Results re-ranked with the kept vectors carry the exact distances of the space;
 * a codes-only index returns approximate ones. */
static void test_reranked_distances_are_exact(void) {
    enum { K = 5 };
    dataset set = dataset_new("l2", 2000, 24, 10, 30, K, 3);
    hnsw_quantization modes[] = {HNSW_QUANT_SQ8, HNSW_QUANT_SQ4};
    /* Relative error of the codes-only distances (measured: 1.5% and 25%). */
    const float tolerance[] = {0.05f, 0.4f};
    for (int m = 0; m < 2; m++) {
        hnsw_index *kept = build_set(&set, modes[m], true);
        hnsw_index *codes = build_set(&set, modes[m], false);
        size_t approximate = 0;
        for (size_t q = 0; q < set.nq; q++) {
            const float *query = set.queries + q * set.dim;
            uint64_t l[K];
            float d[K], exact;
            size_t found = 0;
            OK(hnsw_index_knn(kept, query, K, NULL, l, d, K, &found));
            CHECK(found == K);
            for (size_t i = 0; i < K; i++) {
                OK(hnsw_space_distance(set.space, query, set.data + l[i] * set.dim, &exact));
                CHECK(d[i] == exact);
            }
            OK(hnsw_index_knn(codes, query, K, NULL, l, d, K, &found));
            CHECK(found == K);
            for (size_t i = 0; i < K; i++) {
                OK(hnsw_space_distance(set.space, query, set.data + l[i] * set.dim, &exact));
                CHECK(fabsf(d[i] - exact) <= tolerance[m] * exact);
                approximate += d[i] != exact;
            }
        }
        CHECK(approximate > 0);
        hnsw_index_free(kept);
        hnsw_index_free(codes);
    }
    dataset_free(&set);
}

/* The index's rerank: defaults per mode, set and read back, used by searches. */
static void test_rerank_setting(void) {
    dataset set = dataset_new("cosine", 3000, 32, 20, 150, 10, 11);
    float r = 0;
    hnsw_params p = quantized_params(10, HNSW_QUANT_SQ8, true);
    hnsw_index *index = NULL;
    OK(hnsw_index_new(set.space, &p, &index));
    OK(hnsw_index_get_rerank(index, &r));
    CHECK(r == 2.0f);
    hnsw_index_free(index);

    index = build_set(&set, HNSW_QUANT_SQ4, true);
    OK(hnsw_index_get_rerank(index, &r));
    CHECK(r == 4.0f);
    hnsw_search_options so = hnsw_search_options_default();
    so.ef = 50;
    OK(hnsw_index_set_rerank(index, 1.0f));
    OK(hnsw_index_get_rerank(index, &r));
    CHECK(r == 1.0f);
    double shallow = recall(index, &set, &so);
    OK(hnsw_index_set_rerank(index, 5.0f));
    OK(hnsw_index_get_rerank(index, &r));
    CHECK(r == 5.0f);
    double deep = recall(index, &set, &so);
    /* A per-call rerank wins over the index's. */
    so.rerank = 1.0f;
    double call_shallow = recall(index, &set, &so);
    printf("     sq4 recall@10: rerank 1 %.4f, 5 %.4f, per-call 1 %.4f\n", shallow, deep, call_shallow);
    CHECK(deep > shallow);
    CHECK(call_shallow == shallow);
    /* A failed set leaves the value as it was. */
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "finite", hnsw_index_set_rerank(index, NAN));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "finite", hnsw_index_set_rerank(index, INFINITY));
    OK(hnsw_index_get_rerank(index, &r));
    CHECK(r == 5.0f);
    hnsw_index_free(index);
    dataset_free(&set);
}

/* A quantized index searches exactly until it holds TRAIN_MIN elements, then learns
 * its codes; the queries report it. */
static void test_training_and_properties(void) {
    enum { DIM = 16, N = TRAIN_MIN + 500 };
    float *data = clustered(N, DIM, 8, 5, 1);
    hnsw_space *space = NULL;
    OK(hnsw_space_l2(DIM, &space));
    hnsw_quantization q = -1;
    bool b = false;

    hnsw_index *plain = new_l2_index(DIM, 10);
    OK(hnsw_index_quantization(plain, &q));
    CHECK(q == HNSW_QUANT_NONE);
    OK(hnsw_index_keeps_vectors(plain, &b));
    CHECK(b);
    OK(hnsw_index_is_trained(plain, &b));
    CHECK(!b);
    hnsw_index_free(plain);

    hnsw_params p = quantized_params(N, HNSW_QUANT_SQ8, false);
    hnsw_index *index = build(space, &p, data, TRAIN_MIN - 1);
    OK(hnsw_index_quantization(index, &q));
    CHECK(q == HNSW_QUANT_SQ8);
    OK(hnsw_index_keeps_vectors(index, &b));
    CHECK(!b);
    OK(hnsw_index_is_trained(index, &b));
    CHECK(!b);
    /* Not trained yet: the exact vectors are still there, so it still saves. */
    uint8_t *bytes = NULL;
    size_t len = 0;
    OK(hnsw_index_serialize(index, &bytes, &len));
    hnsw_buffer_free(bytes, len);
    /* The element that reaches TRAIN_MIN makes it learn its codes from everything. */
    OK(hnsw_index_add(index, data + (TRAIN_MIN - 1) * DIM, 5000, false));
    OK(hnsw_index_is_trained(index, &b));
    CHECK(b);
    hnsw_index_free(index);
    hnsw_space_free(space);
    free(data);
}

/* keep_vectors false: the codes only. Searches still work; the vectors read back are
 * the decoded codes; hnswlib's format cannot be written (HNSW_ERR_STATE, no file). */
static void test_codes_only(void) {
    enum { N = 3000, DIM = 32 };
    dataset set = dataset_new("l2", N, DIM, 20, 100, 10, 9);
    const float *data = set.data;
    hnsw_index *index = build_set(&set, HNSW_QUANT_SQ8, false);
    hnsw_search_options so = hnsw_search_options_default();
    so.ef = 64;
    double r = recall(index, &set, &so);
    printf("     codes-only sq8 recall@10 at ef 64: %.4f\n", r);
    CHECK(r >= 0.85);

    float v[DIM];
    uint64_t label = 17;
    OK(hnsw_index_get_items(index, &label, 1, v, sizeof v));
    float err = 0;
    for (size_t j = 0; j < DIM; j++) err = fmaxf(err, fabsf(v[j] - data[17 * DIM + j]));
    CHECK(err > 0 && err < 0.02f);

    uint8_t *bytes = NULL;
    size_t len = 12345;
    FAILS(HNSW_ERR_STATE, "codes-only", hnsw_index_serialize(index, &bytes, &len));
    CHECK(bytes == NULL && len == 12345);
    char path[1024];
    snprintf(path, sizeof path, "%s/codes_only.hnsw", scratch);
    FAILS(HNSW_ERR_STATE, "codes-only", hnsw_index_save(index, path));
    hnsw_save_options fast = hnsw_save_options_default();
    fast.sync = false;
    FAILS(HNSW_ERR_STATE, "keep_vectors", hnsw_index_save_with(index, path, &fast));
    CHECK(fopen(path, "rb") == NULL);

    /* It still takes updates, additions after a resize, and deletions. */
    OK(hnsw_index_resize(index, N + 10));
    OK(hnsw_index_add(index, data, 99999, false));
    OK(hnsw_index_mark_deleted(index, 0));
    uint64_t l[1];
    float d[1];
    size_t found = 0;
    OK(hnsw_index_knn(index, data, 1, NULL, l, d, 1, &found));
    CHECK(found == 1 && l[0] == 99999);
    hnsw_index_free(index);
    dataset_free(&set);
}

/* An index saved in hnswlib's format loads into a quantized index, which makes its
 * codes from the file's vectors, finds what the unquantized index finds (re-ranking
 * the whole candidate list, as sq4 on cosine needs; sq4 on these 20-d vectors still
 * loses about 0.016, within the core's own sq4 allowance of 0.03), and saves the same
 * bytes again (unless codes-only). */
static void test_files_load_into_quantized_indexes(void) {
    dataset set = dataset_new("cosine", 2500, 20, 10, 50, 10, 13);
    const hnsw_space *space = set.space;
    hnsw_index *plain = build_set(&set, HNSW_QUANT_NONE, true);
    char path[1024];
    snprintf(path, sizeof path, "%s/plain.hnsw", scratch);
    OK(hnsw_index_save(plain, path));
    size_t flen = 0;
    unsigned char *file = read_file(path, &flen);
    hnsw_search_options so = hnsw_search_options_default();
    so.ef = 100;
    double r_plain = recall(plain, &set, &so);
    so.rerank = 10;

    hnsw_quantization modes[] = {HNSW_QUANT_SQ8, HNSW_QUANT_SQ4};
    const double slack[] = {0.01, 0.03};
    for (int m = 0; m < 2; m++) {
        hnsw_load_options lo = hnsw_load_options_default();
        lo.quantization = modes[m];
        hnsw_index *loaded = NULL, *from_bytes = NULL;
        OK(hnsw_index_load(path, space, &lo, &loaded));
        OK(hnsw_index_deserialize(file, flen, space, &lo, &from_bytes));
        hnsw_quantization q = -1;
        bool b = false;
        OK(hnsw_index_quantization(loaded, &q));
        CHECK(q == modes[m]);
        OK(hnsw_index_is_trained(loaded, &b));
        CHECK(b);
        OK(hnsw_index_is_trained(from_bytes, &b));
        CHECK(b);
        double r = recall(loaded, &set, &so);
        printf("     %s loaded: recall@10 at ef 100, rerank 10: %.4f (unquantized %.4f)\n",
               hnsw_quantization_name(modes[m]), r, r_plain);
        CHECK(r >= r_plain - slack[m]);
        CHECK(same_bytes(loaded, plain));
        CHECK(same_bytes(from_bytes, plain));
        hnsw_index_free(loaded);
        hnsw_index_free(from_bytes);

        /* Codes-only from a file: the vectors are read, coded, then dropped. */
        lo.keep_vectors = false;
        OK(hnsw_index_load(path, space, &lo, &loaded));
        OK(hnsw_index_keeps_vectors(loaded, &b));
        CHECK(!b);
        uint8_t *bytes = NULL;
        size_t len = 0;
        FAILS(HNSW_ERR_STATE, "codes-only", hnsw_index_serialize(loaded, &bytes, &len));
        CHECK(bytes == NULL);
        hnsw_index_free(loaded);
    }
    hnsw_index_free(plain);
    free(file);
    dataset_free(&set);
}

/* hnswlib 0.8.0's l2_d16 fixture (500 elements labelled 1000.., 1003 and 1010 deleted,
 * capacity 600) loads into a quantized index with more room; it searches exactly
 * until adds bring it to TRAIN_MIN elements, then learns its codes, and its deleted
 * elements stay out of the results. */
static void test_hnswlib_fixture_grows_into_codes(void) {
    enum { DIM = 16, MORE = TRAIN_MIN };
    char path[1024];
    snprintf(path, sizeof path, "%s/l2_d16.data.f32", fixtures);
    size_t dlen = 0;
    float *own = (float *)read_file(path, &dlen);
    CHECK(dlen == 500 * DIM * sizeof(float));
    snprintf(path, sizeof path, "%s/l2_d16.hnsw", fixtures);
    hnsw_space *space = NULL;
    OK(hnsw_space_l2(DIM, &space));
    hnsw_load_options lo = hnsw_load_options_default();
    lo.quantization = HNSW_QUANT_SQ4;
    lo.max_elements = 500 + MORE;
    hnsw_index *index = NULL;
    OK(hnsw_index_load(path, space, &lo, &index));
    bool trained = true;
    OK(hnsw_index_is_trained(index, &trained));
    CHECK(!trained);
    /* Roughly standard normal, as the file's vectors: a sum of four uniforms. */
    float *u = random_matrix(4 * MORE, DIM, 17);
    float *more = malloc(MORE * DIM * sizeof(float));
    for (size_t i = 0; i < MORE * DIM; i++)
        more[i] = (u[4 * i] + u[4 * i + 1] + u[4 * i + 2] + u[4 * i + 3] - 2) * 1.7320508f;
    free(u);
    uint64_t *labels = malloc(MORE * sizeof(uint64_t));
    for (size_t i = 0; i < MORE; i++) labels[i] = 5000 + i;
    OK(hnsw_index_add_batch(index, more, MORE, labels, NULL));
    OK(hnsw_index_is_trained(index, &trained));
    CHECK(trained);
    size_t n = 0;
    OK(hnsw_index_count(index, &n));
    CHECK(n == 500 + MORE);
    hnsw_search_options so = hnsw_search_options_default();
    so.ef = 50;
    uint64_t l[10];
    float d[10];
    size_t found = 0;
    /* The file's elements and the added ones find themselves at distance 0 (exact
     * re-ranking); the deleted ones are never returned. */
    for (size_t i = 0; i < 500; i++) {
        OK(hnsw_index_knn(index, own + i * DIM, 10, &so, l, d, 10, &found));
        CHECK(found == 10);
        if (i == 3 || i == 10) {
            for (size_t j = 0; j < found; j++) CHECK(l[j] != 1000 + i);
        } else {
            CHECK(l[0] == 1000 + i && d[0] == 0.0f);
        }
    }
    for (size_t i = 0; i < MORE; i += 7) {
        OK(hnsw_index_knn(index, more + i * DIM, 10, &so, l, d, 10, &found));
        CHECK(found == 10 && l[0] == labels[i] && d[0] == 0.0f);
    }
    hnsw_index_free(index);
    free(labels);
    free(more);
    free(own);
    hnsw_space_free(space);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s <scratch dir> <fixtures dir>\n", argv[0]);
        return 2;
    }
    scratch = argv[1];
    fixtures = argv[2];
    RUN(test_recall_against_brute_force);
    RUN(test_reranked_distances_are_exact);
    RUN(test_rerank_setting);
    RUN(test_training_and_properties);
    RUN(test_codes_only);
    RUN(test_files_load_into_quantized_indexes);
    RUN(test_hnswlib_fixture_grows_into_codes);
    return 0;
}
