/* Every function's error paths: NULL handles and pointers, bad arguments, too-small
 * buffers, states, quantization's bad values, and the per-thread last-error message.
 * Usage: test_errors <scratch dir> [fixtures dir] */
#include <pthread.h>

#include "check.h"

enum { DIM = 4 };

static const char *scratch;

static void test_null_handles(void) {
    size_t n;
    bool b;
    float v[DIM] = {0};
    uint64_t l[1];
    float d[1];
    uint8_t *bytes;
    const hnsw_status E = HNSW_ERR_NULL_POINTER;
    FAILS(E, "space", hnsw_index_new(NULL, NULL, &(hnsw_index *){0}));
    FAILS(E, "index", hnsw_index_add(NULL, v, 1, false));
    FAILS(E, "index", hnsw_index_add_batch(NULL, v, 1, NULL, NULL));
    FAILS(E, "index", hnsw_index_mark_deleted(NULL, 1));
    FAILS(E, "index", hnsw_index_unmark_deleted(NULL, 1));
    FAILS(E, "index", hnsw_index_is_deleted(NULL, 1, &b));
    FAILS(E, "index", hnsw_index_contains(NULL, 1, &b));
    FAILS(E, "index", hnsw_index_resize(NULL, 1));
    FAILS(E, "index", hnsw_index_set_ef(NULL, 1));
    FAILS(E, "index", hnsw_index_get_ef(NULL, &n));
    FAILS(E, "index", hnsw_index_knn(NULL, v, 1, NULL, l, d, 1, &n));
    FAILS(E, "index", hnsw_index_knn_batch(NULL, v, 1, 1, NULL, l, d, 1, &n));
    FAILS(E, "index", hnsw_index_get_items(NULL, l, 1, v, sizeof v));
    FAILS(E, "index", hnsw_index_ids(NULL, l, 1, &n));
    FAILS(E, "index", hnsw_index_count(NULL, &n));
    FAILS(E, "index", hnsw_index_deleted_count(NULL, &n));
    FAILS(E, "index", hnsw_index_max_elements(NULL, &n));
    FAILS(E, "index", hnsw_index_m(NULL, &n));
    FAILS(E, "index", hnsw_index_ef_construction(NULL, &n));
    FAILS(E, "index", hnsw_index_dim(NULL, &n));
    FAILS(E, "index", hnsw_index_allow_replace_deleted(NULL, &b));
    FAILS(E, "index", hnsw_index_set_rerank(NULL, 2.0f));
    FAILS(E, "index", hnsw_index_get_rerank(NULL, d));
    FAILS(E, "index", hnsw_index_quantization(NULL, &(hnsw_quantization){0}));
    FAILS(E, "index", hnsw_index_keeps_vectors(NULL, &b));
    FAILS(E, "index", hnsw_index_is_trained(NULL, &b));
    FAILS(E, "index", hnsw_index_metrics(NULL, NULL, NULL));
    FAILS(E, "index", hnsw_index_reset_metrics(NULL));
    FAILS(E, "index", hnsw_index_check_integrity(NULL, NULL));
    FAILS(E, "index", hnsw_index_save(NULL, "x"));
    FAILS(E, "index", hnsw_index_save_with(NULL, "x", NULL));
    FAILS(E, "space", hnsw_index_load("x", NULL, NULL, &(hnsw_index *){0}));
    FAILS(E, "index", hnsw_index_serialize(NULL, &bytes, &n));
    FAILS(E, "index", hnsw_index_serialized_size(NULL, &n));
    FAILS(E, "space", hnsw_index_deserialize((const uint8_t *)"x", 1, NULL, NULL, &(hnsw_index *){0}));
    FAILS(E, "space", hnsw_bf_new(NULL, 1, &(hnsw_bf *){0}));
    FAILS(E, "bf", hnsw_bf_add(NULL, v, 1));
    FAILS(E, "bf", hnsw_bf_add_batch(NULL, v, 1, l));
    FAILS(E, "bf", hnsw_bf_remove(NULL, 1));
    FAILS(E, "bf", hnsw_bf_resize(NULL, 1));
    FAILS(E, "bf", hnsw_bf_contains(NULL, 1, &b));
    FAILS(E, "bf", hnsw_bf_knn(NULL, v, 1, NULL, l, d, 1, &n));
    FAILS(E, "bf", hnsw_bf_knn_batch(NULL, v, 1, 1, NULL, l, d, 1, &n));
    FAILS(E, "bf", hnsw_bf_get_items(NULL, l, 1, v, sizeof v));
    FAILS(E, "bf", hnsw_bf_ids(NULL, l, 1, &n));
    FAILS(E, "bf", hnsw_bf_count(NULL, &n));
    FAILS(E, "bf", hnsw_bf_max_elements(NULL, &n));
    FAILS(E, "bf", hnsw_bf_dim(NULL, &n));
    FAILS(E, "bf", hnsw_bf_save(NULL, "x"));
    FAILS(E, "bf", hnsw_bf_save_with(NULL, "x", NULL));
    FAILS(E, "space", hnsw_bf_load("x", NULL, 0, &(hnsw_bf *){0}));
    FAILS(E, "bf", hnsw_bf_serialize(NULL, &bytes, &n));
    FAILS(E, "space", hnsw_bf_deserialize((const uint8_t *)"x", 1, NULL, 0, &(hnsw_bf *){0}));
    FAILS(E, "space", hnsw_space_dim(NULL, &n));
    FAILS(E, "space", hnsw_space_element_size(NULL, &n));
    FAILS(E, "space", hnsw_space_distance(NULL, v, v, d));
    FAILS(E, "name", hnsw_space_new(NULL, 4, &(hnsw_space *){0}));
    FAILS(E, "distance", hnsw_space_custom(4, NULL, NULL, &(hnsw_space *){0}));
    /* Freeing NULL is a no-op. */
    hnsw_index_free(NULL);
    hnsw_bf_free(NULL);
    hnsw_space_free(NULL);
}

static void test_null_pointers(void) {
    hnsw_index *index = new_l2_index(DIM, 10);
    hnsw_space *space = NULL;
    hnsw_bf *bf = NULL;
    OK(hnsw_space_l2(DIM, &space));
    OK(hnsw_bf_new(space, 10, &bf));
    float v[DIM] = {1, 2, 3, 4};
    uint64_t l[2];
    float d[2];
    size_t n;
    uint8_t *bytes;
    const hnsw_status E = HNSW_ERR_NULL_POINTER;
    FAILS(E, "out", hnsw_space_l2(DIM, NULL));
    FAILS(E, "out", hnsw_index_new(space, NULL, NULL));
    FAILS(E, "out", hnsw_bf_new(space, 1, NULL));
    FAILS(E, "vector", hnsw_index_add(index, NULL, 1, false));
    FAILS(E, "data", hnsw_index_add_batch(index, NULL, 2, NULL, NULL));
    FAILS(E, "vector", hnsw_bf_add(bf, NULL, 1));
    FAILS(E, "labels", hnsw_bf_add_batch(bf, v, 1, NULL));
    OK(hnsw_index_add(index, v, 1, false));
    OK(hnsw_bf_add(bf, v, 1));
    FAILS(E, "query", hnsw_index_knn(index, NULL, 1, NULL, l, d, 1, &n));
    FAILS(E, "labels", hnsw_index_knn(index, v, 1, NULL, NULL, d, 1, &n));
    FAILS(E, "distances", hnsw_index_knn(index, v, 1, NULL, l, NULL, 1, &n));
    FAILS(E, "labels", hnsw_bf_knn_batch(bf, v, 1, 1, NULL, NULL, d, 1, NULL));
    FAILS(E, "out", hnsw_index_count(index, NULL));
    FAILS(E, "out", hnsw_index_is_deleted(index, 1, NULL));
    FAILS(E, "count", hnsw_index_ids(index, l, 2, NULL));
    FAILS(E, "out", hnsw_index_ids(index, NULL, 2, &n));
    FAILS(E, "labels", hnsw_index_get_items(index, NULL, 1, d, sizeof v));
    FAILS(E, "out", hnsw_index_get_items(index, l, 1, NULL, sizeof v));
    FAILS(E, "data", hnsw_index_serialize(index, NULL, &n));
    FAILS(E, "len", hnsw_index_serialize(index, &bytes, NULL));
    FAILS(E, "path", hnsw_index_save(index, NULL));
    FAILS(E, "path", hnsw_index_load(NULL, space, NULL, &(hnsw_index *){0}));
    FAILS(E, "data", hnsw_index_deserialize(NULL, 10, space, NULL, &(hnsw_index *){0}));
    /* A NULL `out` is reported before any work: not the missing file, not the bad bytes. */
    FAILS(E, "out", hnsw_index_new(space, NULL, NULL));
    FAILS(E, "out", hnsw_index_load("no-such-file.hnsw", space, NULL, NULL));
    FAILS(E, "out", hnsw_index_deserialize((const uint8_t *)"x", 1, space, NULL, NULL));
    FAILS(E, "out", hnsw_bf_new(space, 4, NULL));
    FAILS(E, "out", hnsw_bf_load("no-such-file.bf", space, 0, NULL));
    FAILS(E, "out", hnsw_bf_deserialize((const uint8_t *)"x", 1, space, 0, NULL));
    FAILS(E, "path", hnsw_bf_save(bf, NULL));
    FAILS(E, "path", hnsw_bf_save_with(bf, NULL, NULL));
    FAILS(E, "path", hnsw_index_save_with(index, NULL, NULL));
    FAILS(E, "a", hnsw_space_distance(space, NULL, v, d));
    FAILS(E, "out", hnsw_space_distance(space, v, v, NULL));
    FAILS(E, "out", hnsw_index_get_rerank(index, NULL));
    FAILS(E, "out", hnsw_index_quantization(index, NULL));
    FAILS(E, "out", hnsw_index_keeps_vectors(index, NULL));
    FAILS(E, "out", hnsw_index_is_trained(index, NULL));
    FAILS(E, "name", hnsw_quantization_by_name(NULL, &(hnsw_quantization){0}));
    FAILS(E, "out", hnsw_quantization_by_name("sq8", NULL));
    hnsw_bf_free(bf);
    hnsw_space_free(space);
    hnsw_index_free(index);
}

static void test_bad_arguments(void) {
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    const hnsw_status E = HNSW_ERR_INVALID_ARGUMENT;
    FAILS(E, "dim", hnsw_space_l2(0, &space));
    FAILS(E, "Space name", hnsw_space_new("hamming", 4, &space));
    FAILS(E, "dim", hnsw_space_l2_u8(70000, &space));
    OK(hnsw_space_l2(DIM, &space));
    hnsw_params p = hnsw_params_default();
    p.M = 1;
    FAILS(E, "M", hnsw_index_new(space, &p, &index));
    p = hnsw_params_default();
    p.ef_construction = 4;
    FAILS(E, "ef_construction", hnsw_index_new(space, &p, &index));
    CHECK(index == NULL);

    index = new_l2_index(DIM, 10);
    float v[DIM] = {1, 2, 3, 4};
    float nan_v[DIM] = {1, NAN, 3, 4};
    FAILS(E, "", hnsw_index_add(index, nan_v, 1, false));
    FAILS(E, "no vectors", hnsw_index_add_batch(index, v, 0, NULL, NULL));
    /* A float pointer that is not 4-byte aligned. */
    char raw[sizeof(float) * (DIM + 1)];
    memcpy(raw + 1, v, sizeof v);
    FAILS(E, "aligned", hnsw_index_add(index, (const float *)(void *)(raw + 1), 1, false));
    OK(hnsw_index_add(index, v, 1, false));
    uint64_t l[4];
    float d[4];
    size_t n;
    FAILS(E, "k", hnsw_index_knn(index, v, 0, NULL, l, d, 4, &n));
    FAILS(E, "", hnsw_index_knn(index, nan_v, 1, NULL, l, d, 4, &n));
    FAILS(HNSW_ERR_BUFFER_TOO_SMALL, "needed", hnsw_index_knn(index, v, 3, NULL, l, d, 2, &n));
    FAILS(HNSW_ERR_BUFFER_TOO_SMALL, "needed", hnsw_index_knn_batch(index, v, 1, 3, NULL, l, d, 2, NULL));
    FAILS(HNSW_ERR_BUFFER_TOO_SMALL, "needed", hnsw_index_get_items(index, l, 1, d, 3));
    OK(hnsw_index_add(index, v, 2, false));
    FAILS(HNSW_ERR_BUFFER_TOO_SMALL, "needed", hnsw_index_ids(index, l, 1, &n));
    CHECK(n == 2);
    hnsw_space_free(space);
    hnsw_index_free(index);
}

static void test_states(void) {
    hnsw_index *index = new_l2_index(DIM, 2);
    float v[DIM] = {1, 2, 3, 4};
    OK(hnsw_index_add(index, v, 1, false));
    FAILS(HNSW_ERR_LABEL_NOT_FOUND, "Label not found", hnsw_index_mark_deleted(index, 77));
    FAILS(HNSW_ERR_LABEL_NOT_FOUND, "", hnsw_index_unmark_deleted(index, 77));
    FAILS(HNSW_ERR_LABEL_NOT_FOUND, "", hnsw_index_is_deleted(index, 77, &(bool){0}));
    FAILS(HNSW_ERR_STATE, "", hnsw_index_unmark_deleted(index, 1));
    OK(hnsw_index_mark_deleted(index, 1));
    FAILS(HNSW_ERR_STATE, "", hnsw_index_mark_deleted(index, 1));
    FAILS(HNSW_ERR_STATE, "replace", hnsw_index_add(index, v, 5, true));
    OK(hnsw_index_add(index, v, 2, false));
    FAILS(HNSW_ERR_CAPACITY, "", hnsw_index_add(index, v, 3, false));
    FAILS(HNSW_ERR_STATE, "", hnsw_index_resize(index, 1));
    hnsw_index_free(index);

    hnsw_space *space = NULL;
    hnsw_bf *bf = NULL;
    OK(hnsw_space_l2(DIM, &space));
    OK(hnsw_bf_new(space, 1, &bf));
    OK(hnsw_bf_add(bf, v, 1));
    FAILS(HNSW_ERR_CAPACITY, "", hnsw_bf_add(bf, v, 2));
    FAILS(HNSW_ERR_LABEL_NOT_FOUND, "", hnsw_bf_remove(bf, 2));
    hnsw_bf_free(bf);
    hnsw_space_free(space);
}

static float l1_distance(const void *a, const void *b, const void *user_data) {
    (void)user_data;
    const uint8_t *x = a, *y = b;
    return fabsf((float)x[0] - (float)y[0]);
}

/* Quantization: the defaults, names, every bad value and the spaces it needs. */
static void test_quantization_arguments(void) {
    const hnsw_status E = HNSW_ERR_INVALID_ARGUMENT;
    hnsw_params p = hnsw_params_default();
    CHECK(p.quantization == HNSW_QUANT_NONE && p.keep_vectors);
    hnsw_load_options lo = hnsw_load_options_default();
    CHECK(lo.quantization == HNSW_QUANT_NONE && lo.keep_vectors);
    CHECK(hnsw_search_options_default().rerank == 0.0f);

    hnsw_quantization q = -1;
    OK(hnsw_quantization_by_name("sq8", &q));
    CHECK(q == HNSW_QUANT_SQ8);
    OK(hnsw_quantization_by_name("sq4", &q));
    CHECK(q == HNSW_QUANT_SQ4);
    OK(hnsw_quantization_by_name("", &q));
    CHECK(q == HNSW_QUANT_NONE);
    q = -1;
    OK(hnsw_quantization_by_name("none", &q));
    CHECK(q == HNSW_QUANT_NONE);
    FAILS(E, "\"sq8\"", hnsw_quantization_by_name("sq16", &q));
    CHECK(!strcmp(hnsw_quantization_name(HNSW_QUANT_NONE), "none"));
    CHECK(!strcmp(hnsw_quantization_name(HNSW_QUANT_SQ8), "sq8"));
    CHECK(!strcmp(hnsw_quantization_name(HNSW_QUANT_SQ4), "sq4"));
    CHECK(!strcmp(hnsw_quantization_name(3), "unknown quantization"));
    CHECK(!strcmp(hnsw_quantization_name(-1), "unknown quantization"));

    /* An unknown mode, in the params and in the load options (file and bytes). */
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    OK(hnsw_space_l2(DIM, &space));
    p.max_elements = 10;
    p.quantization = 3;
    FAILS(E, "hnsw_params.quantization is 3", hnsw_index_new(space, &p, &index));
    p.quantization = -1;
    FAILS(E, "HNSW_QUANT_SQ4", hnsw_index_new(space, &p, &index));
    CHECK(index == NULL);
    p.quantization = HNSW_QUANT_SQ8;
    OK(hnsw_index_new(space, &p, &index));
    float v[DIM] = {1, 2, 3, 4};
    OK(hnsw_index_add(index, v, 1, false));
    uint8_t *bytes = NULL;
    size_t len = 0;
    OK(hnsw_index_serialize(index, &bytes, &len));
    lo.quantization = 7;
    hnsw_index *loaded = NULL;
    FAILS(E, "hnsw_load_options.quantization is 7", hnsw_index_deserialize(bytes, len, space, &lo, &loaded));
    FAILS(E, "hnsw_load_options.quantization", hnsw_index_load("no-such-file.hnsw", space, &lo, &loaded));
    CHECK(loaded == NULL);

    /* A rerank that is not a number, per index and per call (both indexes check it). */
    FAILS(E, "finite", hnsw_index_set_rerank(index, NAN));
    FAILS(E, "finite", hnsw_index_set_rerank(index, -INFINITY));
    hnsw_search_options so = hnsw_search_options_default();
    so.rerank = NAN;
    uint64_t l[1];
    float d[1];
    size_t n = 0;
    FAILS(E, "hnsw_search_options.rerank", hnsw_index_knn(index, v, 1, &so, l, d, 1, &n));
    FAILS(E, "finite", hnsw_index_knn_batch(index, v, 1, 1, &so, l, d, 1, NULL));
    hnsw_bf *bf = NULL;
    OK(hnsw_bf_new(space, 1, &bf));
    OK(hnsw_bf_add(bf, v, 1));
    so.rerank = INFINITY;
    FAILS(E, "hnsw_search_options.rerank", hnsw_bf_knn(bf, v, 1, &so, l, d, 1, &n));
    so.rerank = 3;
    OK(hnsw_bf_knn(bf, v, 1, &so, l, d, 1, &n));
    OK(hnsw_index_knn(index, v, 1, &so, l, d, 1, &n));
    CHECK(n == 1 && l[0] == 1 && d[0] == 0.0f);
    hnsw_bf_free(bf);
    hnsw_index_free(index);
    index = NULL;

    /* Quantization needs an f32 space: not l2u8, not a custom space; in a new index
     * and in a load (the same file read as bytes of an l2u8 space of 4 * DIM). */
    hnsw_space *u8 = NULL, *custom = NULL;
    OK(hnsw_space_l2_u8(4 * DIM, &u8));
    OK(hnsw_space_custom(4 * DIM, l1_distance, NULL, &custom));
    hnsw_quantization modes[] = {HNSW_QUANT_SQ8, HNSW_QUANT_SQ4};
    for (int m = 0; m < 2; m++) {
        p.quantization = modes[m];
        FAILS(E, "needs an f32 space", hnsw_index_new(u8, &p, &index));
        FAILS(E, "l2, ip or cosine", hnsw_index_new(custom, &p, &index));
        lo.quantization = modes[m];
        FAILS(E, "needs an f32 space", hnsw_index_deserialize(bytes, len, u8, &lo, &loaded));
        FAILS(E, "needs an f32 space", hnsw_index_deserialize(bytes, len, custom, &lo, &loaded));
    }
    CHECK(index == NULL && loaded == NULL);
    /* Without quantization, keep_vectors is ignored. */
    lo = hnsw_load_options_default();
    lo.keep_vectors = false;
    OK(hnsw_index_deserialize(bytes, len, u8, &lo, &loaded));
    bool keeps = false;
    OK(hnsw_index_keeps_vectors(loaded, &keeps));
    CHECK(keeps);
    hnsw_index_free(loaded);
    hnsw_buffer_free(bytes, len);
    hnsw_space_free(u8);
    hnsw_space_free(custom);
    hnsw_space_free(space);
}

/* A codes-only index that learnt its codes cannot be written in hnswlib's format:
 * HNSW_ERR_STATE with the reason, no buffer, no file. */
static void test_codes_only_cannot_be_saved(void) {
    enum { N = 1000, D = 8 }; /* 1000: the elements a quantized index learns its codes from */
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    OK(hnsw_space_l2(D, &space));
    hnsw_params p = hnsw_params_default();
    p.max_elements = N;
    p.M = 4;
    p.ef_construction = 10;
    p.quantization = HNSW_QUANT_SQ4;
    p.keep_vectors = false;
    OK(hnsw_index_new(space, &p, &index));
    float *data = random_matrix(N, D, 3);
    OK(hnsw_index_add_batch(index, data, N, NULL, NULL));
    bool b = false;
    OK(hnsw_index_is_trained(index, &b));
    CHECK(b);
    uint8_t *bytes = NULL;
    size_t len = 0;
    FAILS(HNSW_ERR_STATE, "codes-only index (keep_vectors = false) cannot be saved",
          hnsw_index_serialize(index, &bytes, &len));
    CHECK(bytes == NULL && len == 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/codes_only_errors.hnsw", scratch);
    FAILS(HNSW_ERR_STATE, "hnswlib's format", hnsw_index_save(index, path));
    CHECK(fopen(path, "rb") == NULL);
    free(data);
    hnsw_index_free(index);
    hnsw_space_free(space);
}

static void *other_thread(void *arg) {
    (void)arg;
    /* Another thread's failure does not show here, nor this thread's there. */
    CHECK(strcmp(hnsw_last_error(), "") == 0);
    hnsw_space *s = NULL;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "hamming", hnsw_space_new("hamming", 4, &s));
    return NULL;
}

static void test_last_error_is_per_thread(void) {
    hnsw_space *s = NULL;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "dim", hnsw_space_ip(0, &s));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(strstr(hnsw_last_error(), "dim") != NULL);
    /* A success leaves the message alone. */
    OK(hnsw_space_ip(4, &s));
    CHECK(strstr(hnsw_last_error(), "dim") != NULL);
    hnsw_space_free(s);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <scratch dir> [fixtures dir]\n", argv[0]);
        return 2;
    }
    RUN(test_null_handles);
    RUN(test_null_pointers);
    RUN(test_bad_arguments);
    RUN(test_states);
    scratch = argv[1];
    RUN(test_quantization_arguments);
    RUN(test_codes_only_cannot_be_saved);
    RUN(test_last_error_is_per_thread);
    return 0;
}
