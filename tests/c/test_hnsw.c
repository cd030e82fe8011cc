/* The HNSW index through the C ABI: build, search, update, delete, resize, metadata,
 * files and memory buffers. Usage: test_hnsw <scratch dir> [fixtures dir] */
#include "check.h"

static const char *scratch;

enum { DIM = 16, N = 2000 };

/* Recall@k of the index against exact search over `data` (n rows). */
static double recall(hnsw_index *index, const float *data, size_t n, size_t queries, size_t k) {
    uint64_t *labels = malloc(k * sizeof(uint64_t));
    float *dists = malloc(k * sizeof(float));
    size_t hits = 0;
    for (size_t q = 0; q < queries; q++) {
        const float *query = data + (q * 7 % n) * DIM;
        size_t found = 0;
        OK(hnsw_index_knn(index, query, k, NULL, labels, dists, k, &found));
        CHECK(found == k);
        /* The k-th exact distance. */
        float *exact = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) exact[i] = l2sq(query, data + i * DIM, DIM);
        for (size_t i = 0; i < k; i++) { /* partial selection sort */
            size_t m = i;
            for (size_t j = i + 1; j < n; j++) if (exact[j] < exact[m]) m = j;
            float t = exact[i]; exact[i] = exact[m]; exact[m] = t;
        }
        for (size_t i = 0; i < k; i++) hits += dists[i] <= exact[k - 1];
        free(exact);
    }
    free(labels);
    free(dists);
    return (double)hits / (double)(queries * k);
}

static void test_info(void) {
    CHECK(strlen(hnsw_version()) >= 5);
    const char *simd = hnsw_simd_path();
    CHECK(!strcmp(simd, "avx512") || !strcmp(simd, "avx2") || !strcmp(simd, "neon") ||
          !strcmp(simd, "scalar"));
    CHECK(!strcmp(hnsw_status_name(HNSW_OK), "HNSW_OK"));
    CHECK(!strcmp(hnsw_status_name(HNSW_ERR_FORMAT), "HNSW_ERR_FORMAT"));
    CHECK(!strcmp(hnsw_status_name(999), "unknown status"));
}

static void test_spaces(void) {
    const char *names[] = {"l2", "ip", "cosine", "l2u8"};
    size_t sizes[] = {4 * 8, 4 * 8, 4 * 8, 8};
    for (int i = 0; i < 4; i++) {
        hnsw_space *s = NULL;
        size_t dim = 0, size = 0;
        OK(hnsw_space_new(names[i], 8, &s));
        OK(hnsw_space_dim(s, &dim));
        OK(hnsw_space_element_size(s, &size));
        CHECK(dim == 8 && size == sizes[i]);
        hnsw_space_free(s);
    }
    hnsw_space *s = NULL;
    float a[3] = {1, 2, 3}, b[3] = {1, 0, 5}, d = 0;
    OK(hnsw_space_l2(3, &s));
    OK(hnsw_space_distance(s, a, b, &d));
    CHECK(d == 8.0f);
    hnsw_space_free(s);
    OK(hnsw_space_ip(3, &s));
    OK(hnsw_space_distance(s, a, b, &d));
    CHECK(d == 1.0f - 16.0f);
    hnsw_space_free(s);
    hnsw_space_free(NULL);
}

static void test_build_and_search(void) {
    float *data = random_matrix(N, DIM, 1);
    uint64_t *labels = malloc(N * sizeof(uint64_t));
    for (size_t i = 0; i < N; i++) labels[i] = 1000 + i;
    hnsw_index *index = new_l2_index(DIM, N);
    hnsw_add_options opts = hnsw_add_options_default();
    opts.num_threads = 2;
    OK(hnsw_index_add_batch(index, data, N, labels, &opts));

    size_t v = 0;
    OK(hnsw_index_count(index, &v)); CHECK(v == N);
    OK(hnsw_index_max_elements(index, &v)); CHECK(v == N);
    OK(hnsw_index_m(index, &v)); CHECK(v == 16);
    OK(hnsw_index_ef_construction(index, &v)); CHECK(v == 100);
    OK(hnsw_index_dim(index, &v)); CHECK(v == DIM);
    OK(hnsw_index_deleted_count(index, &v)); CHECK(v == 0);
    bool b = true;
    OK(hnsw_index_allow_replace_deleted(index, &b)); CHECK(!b);
    OK(hnsw_index_get_ef(index, &v)); CHECK(v == 10);

    /* Every element finds itself first, at distance 0. */
    uint64_t got[5];
    float dist[5];
    size_t found = 0;
    for (size_t i = 0; i < N; i += 37) {
        OK(hnsw_index_knn(index, data + i * DIM, 5, NULL, got, dist, 5, &found));
        CHECK(found == 5 && got[0] == 1000 + i && dist[0] == 0.0f);
        for (int j = 1; j < 5; j++) CHECK(dist[j - 1] <= dist[j]);
    }
    OK(hnsw_index_set_ef(index, 100));
    OK(hnsw_index_get_ef(index, &v)); CHECK(v == 100);
    double r = recall(index, data, N, 50, 10);
    printf("     recall@10 at ef=100: %.3f\n", r);
    CHECK(r >= 0.95); /* hnswlib 0.8.0 gets 0.98 on these data */

    /* A per-call ef of 1 still searches with max(ef, k). */
    hnsw_search_options so = hnsw_search_options_default();
    so.ef = 1;
    OK(hnsw_index_knn(index, data, 5, &so, got, dist, 5, &found));
    CHECK(found == 5 && got[0] == 1000);

    /* Batch search: row i of the result equals the single search of query i. */
    enum { Q = 40, K = 8 };
    uint64_t bl[Q * K];
    float bd[Q * K];
    size_t counts[Q];
    so = hnsw_search_options_default();
    so.num_threads = 2;
    OK(hnsw_index_knn_batch(index, data, Q, K, &so, bl, bd, Q * K, counts));
    for (size_t q = 0; q < Q; q++) {
        uint64_t one[K];
        float od[K];
        OK(hnsw_index_knn(index, data + q * DIM, K, NULL, one, od, K, &found));
        CHECK(counts[q] == K && found == K);
        CHECK(!memcmp(one, bl + q * K, sizeof one) && !memcmp(od, bd + q * K, sizeof od));
    }
    /* counts may be NULL. */
    OK(hnsw_index_knn_batch(index, data, Q, K, NULL, bl, bd, Q * K, NULL));
    CHECK(bl[0] == 1000);

    /* ids: ask the size, then fill. */
    size_t count = 0;
    OK(hnsw_index_ids(index, NULL, 0, &count));
    CHECK(count == N);
    uint64_t *ids = malloc(count * sizeof(uint64_t));
    OK(hnsw_index_ids(index, ids, count, &count));
    for (size_t i = 0; i < N; i++) CHECK(ids[i] == 1000 + i);
    free(ids);

    /* get_items returns the stored vectors. */
    float items[2 * DIM];
    uint64_t want[2] = {1005, 1999};
    OK(hnsw_index_get_items(index, want, 2, items, sizeof items));
    CHECK(!memcmp(items, data + 5 * DIM, DIM * sizeof(float)));
    CHECK(!memcmp(items + DIM, data + 999 * DIM, DIM * sizeof(float)));

    uint64_t hops = 0, dcs = 0;
    OK(hnsw_index_metrics(index, &hops, &dcs));
    CHECK(hops > 0 && dcs > hops);
    OK(hnsw_index_reset_metrics(index));
    OK(hnsw_index_metrics(index, &hops, NULL));
    CHECK(hops == 0);

    hnsw_index_free(index);
    free(labels);
    free(data);
}

static void test_auto_labels_and_resize(void) {
    float *data = random_matrix(300, DIM, 2);
    hnsw_index *index = new_l2_index(DIM, 100);
    OK(hnsw_index_add_batch(index, data, 100, NULL, NULL));
    FAILS(HNSW_ERR_CAPACITY, "exceeds", hnsw_index_add(index, data + 100 * DIM, 100, false));
    /* A batch that does not fit adds nothing. */
    OK(hnsw_index_resize(index, 150));
    FAILS(HNSW_ERR_CAPACITY, "exceeds", hnsw_index_add_batch(index, data + 100 * DIM, 100, NULL, NULL));
    size_t count = 0;
    OK(hnsw_index_count(index, &count));
    CHECK(count == 100);
    FAILS(HNSW_ERR_STATE, "", hnsw_index_resize(index, 50));
    OK(hnsw_index_resize(index, 300));
    OK(hnsw_index_add_batch(index, data + 100 * DIM, 200, NULL, NULL));
    uint64_t got[1];
    float d[1];
    size_t found;
    OK(hnsw_index_knn(index, data + 250 * DIM, 1, NULL, got, d, 1, &found));
    CHECK(got[0] == 250); /* automatic labels continue from the count */
    hnsw_index_free(index);
    free(data);
}

static void test_update_and_delete(void) {
    float *data = random_matrix(500, DIM, 3);
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    OK(hnsw_space_l2(DIM, &space));
    hnsw_params p = hnsw_params_default();
    p.max_elements = 500;
    p.allow_replace_deleted = true;
    OK(hnsw_index_new(space, &p, &index));
    hnsw_space_free(space);
    OK(hnsw_index_add_batch(index, data, 400, NULL, NULL));

    /* Re-adding a label replaces its vector. */
    OK(hnsw_index_add(index, data + 450 * DIM, 7, false));
    float item[DIM];
    uint64_t seven = 7;
    OK(hnsw_index_get_items(index, &seven, 1, item, sizeof item));
    CHECK(!memcmp(item, data + 450 * DIM, sizeof item));
    uint64_t got[3];
    float d[3];
    size_t found;
    OK(hnsw_index_knn(index, data + 450 * DIM, 1, NULL, got, d, 3, &found));
    CHECK(got[0] == 7 && d[0] == 0.0f);

    /* Deleted labels never come back. */
    OK(hnsw_index_mark_deleted(index, 10));
    bool deleted = false;
    OK(hnsw_index_is_deleted(index, 10, &deleted));
    CHECK(deleted);
    bool has = false;
    OK(hnsw_index_contains(index, 10, &has));
    CHECK(has);
    OK(hnsw_index_knn(index, data + 10 * DIM, 3, NULL, got, d, 3, &found));
    CHECK(found == 3 && got[0] != 10 && got[1] != 10 && got[2] != 10);
    size_t n = 0;
    OK(hnsw_index_deleted_count(index, &n));
    CHECK(n == 1);
    uint64_t ten = 10;
    FAILS(HNSW_ERR_LABEL_NOT_FOUND, "10", hnsw_index_get_items(index, &ten, 1, item, sizeof item));
    OK(hnsw_index_unmark_deleted(index, 10));
    OK(hnsw_index_knn(index, data + 10 * DIM, 1, NULL, got, d, 1, &found));
    CHECK(got[0] == 10);

    /* replace_deleted: a new label takes a deleted slot; the count stays. */
    OK(hnsw_index_mark_deleted(index, 20));
    OK(hnsw_index_add(index, data + 499 * DIM, 9999, true));
    OK(hnsw_index_count(index, &n));
    CHECK(n == 400);
    OK(hnsw_index_contains(index, 20, &has));
    CHECK(!has);
    OK(hnsw_index_knn(index, data + 499 * DIM, 1, NULL, got, d, 1, &found));
    CHECK(got[0] == 9999);

    /* The graph stays sound through it all: 400 elements with M 16 hold thousands of links. */
    uint64_t links = 0;
    OK(hnsw_index_check_integrity(index, &links));
    CHECK(links > 4000);
    OK(hnsw_index_check_integrity(index, NULL));
    hnsw_index_free(index);
    free(data);
}

static void test_filter_and_small_index(void) {
    float data[3 * 2] = {0, 0, 1, 0, 5, 5};
    hnsw_index *index = new_l2_index(2, 10);
    uint64_t labels[3] = {1, 2, 3};
    OK(hnsw_index_add_batch(index, data, 3, labels, NULL));
    /* k above the count: the found count says so; the rest is padding. */
    uint64_t got[5];
    float d[5];
    size_t found = 0;
    float q[2] = {0.1f, 0};
    OK(hnsw_index_knn(index, q, 5, NULL, got, d, 5, &found));
    CHECK(found == 3 && got[0] == 1 && got[1] == 2 && got[2] == 3);
    CHECK(got[3] == UINT64_MAX && isinf(d[4]));
    hnsw_index_free(index);
}

static void test_files_and_buffers(void) {
    float *data = random_matrix(800, DIM, 4);
    hnsw_index *index = new_l2_index(DIM, 1000);
    OK(hnsw_index_add_batch(index, data, 800, NULL, NULL));
    OK(hnsw_index_mark_deleted(index, 3));
    char path[512];
    snprintf(path, sizeof path, "%s/index.hnsw", scratch);
    OK(hnsw_index_save(index, path));

    uint8_t *bytes = NULL;
    size_t len = 0, expect = 0;
    OK(hnsw_index_serialize(index, &bytes, &len));
    OK(hnsw_index_serialized_size(index, &expect));
    CHECK(len == expect);
    size_t file_len = 0;
    unsigned char *file = read_file(path, &file_len);
    CHECK(file_len == len && !memcmp(file, bytes, len));
    /* Without sync: the same bytes, replacing the file (still by rename). */
    hnsw_save_options so = hnsw_save_options_default();
    CHECK(so.sync);
    so.sync = false;
    OK(hnsw_index_mark_deleted(index, 4));
    OK(hnsw_index_save_with(index, path, &so));
    free(file);
    file = read_file(path, &file_len);
    uint8_t *bytes2 = NULL;
    size_t len2 = 0;
    OK(hnsw_index_serialize(index, &bytes2, &len2));
    CHECK(file_len == len2 && !memcmp(file, bytes2, len2) && memcmp(file, bytes, len));
    hnsw_buffer_free(bytes2, len2);
    OK(hnsw_index_unmark_deleted(index, 4));
    OK(hnsw_index_save_with(index, path, NULL)); /* NULL: the durable default */
    free(file);
    file = read_file(path, &file_len);
    CHECK(file_len == len && !memcmp(file, bytes, len));

    hnsw_space *space = NULL;
    OK(hnsw_space_l2(DIM, &space));
    hnsw_index *from_file = NULL, *from_mem = NULL;
    hnsw_load_options lo = hnsw_load_options_default();
    lo.max_elements = 2000;
    OK(hnsw_index_load(path, space, &lo, &from_file));
    OK(hnsw_index_deserialize(bytes, len, space, NULL, &from_mem));
    size_t v = 0;
    OK(hnsw_index_max_elements(from_file, &v)); CHECK(v == 2000);
    OK(hnsw_index_max_elements(from_mem, &v)); CHECK(v == 1000);
    OK(hnsw_index_deleted_count(from_mem, &v)); CHECK(v == 1);
    hnsw_index *all[3] = {index, from_file, from_mem};
    for (size_t q = 0; q < 20; q++) {
        uint64_t l[3][10];
        float d[3][10];
        for (int i = 0; i < 3; i++)
            OK(hnsw_index_knn(all[i], data + q * 31 * DIM, 10, NULL, l[i], d[i], 10, NULL));
        CHECK(!memcmp(l[0], l[1], sizeof l[0]) && !memcmp(l[0], l[2], sizeof l[0]));
        CHECK(!memcmp(d[0], d[1], sizeof d[0]));
    }

    /* A wrong dimension, truncated bytes, a missing file: errors, not crashes. */
    hnsw_space *wrong = NULL;
    hnsw_index *bad = NULL;
    OK(hnsw_space_l2(DIM + 1, &wrong));
    FAILS(HNSW_ERR_FORMAT, "", hnsw_index_load(path, wrong, NULL, &bad));
    for (size_t cut = 0; cut < len; cut += len / 37 + 1)
        CHECK(hnsw_index_deserialize(bytes, cut, space, NULL, &bad) == HNSW_ERR_FORMAT);
    CHECK(bad == NULL);
    /* Corrupt a link count in the first level-0 record: detected. */
    uint8_t *copy = malloc(len);
    memcpy(copy, bytes, len);
    copy[96] = 0xff;
    copy[97] = 0xff;
    FAILS(HNSW_ERR_FORMAT, "", hnsw_index_deserialize(copy, len, space, NULL, &bad));
    free(copy);
    char missing[512];
    snprintf(missing, sizeof missing, "%s/no/such/file", scratch);
    FAILS(HNSW_ERR_IO, "no/such/file", hnsw_index_load(missing, space, NULL, &bad));
    FAILS(HNSW_ERR_IO, "", hnsw_index_save(index, missing));

    hnsw_buffer_free(bytes, len);
    hnsw_buffer_free(NULL, 0);
    free(file);
    hnsw_space_free(space);
    hnsw_space_free(wrong);
    for (int i = 0; i < 3; i++) hnsw_index_free(all[i]);
    free(data);
}

static void test_cosine_and_u8(void) {
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    OK(hnsw_space_cosine(2, &space));
    OK(hnsw_index_new(space, NULL, &index));
    hnsw_space_free(space);
    OK(hnsw_index_resize(index, 4));
    float v[2] = {3, 4};
    OK(hnsw_index_add(index, v, 1, false));
    float stored[2];
    uint64_t one = 1;
    OK(hnsw_index_get_items(index, &one, 1, stored, sizeof stored));
    CHECK(fabsf(stored[0] - 0.6f) < 1e-6f && fabsf(stored[1] - 0.8f) < 1e-6f);
    hnsw_index_free(index);

    OK(hnsw_space_l2_u8(4, &space));
    hnsw_params p = hnsw_params_default();
    p.max_elements = 256;
    OK(hnsw_index_new(space, &p, &index));
    hnsw_space_free(space);
    uint8_t rows[256 * 4];
    for (int i = 0; i < 256; i++)
        for (int j = 0; j < 4; j++) rows[i * 4 + j] = (uint8_t)(i + j * 3);
    OK(hnsw_index_add_batch(index, rows, 256, NULL, NULL));
    uint8_t q[4] = {200, 203, 206, 209};
    uint64_t got[2];
    float d[2];
    hnsw_search_options so = hnsw_search_options_default();
    so.ef = 64; /* points on a line: give the search room */
    OK(hnsw_index_knn(index, q, 2, &so, got, d, 2, NULL));
    if (!(got[0] == 200 && d[0] == 0.0f && d[1] == 4.0f)) printf("got %lu %lu d %f %f\n", (unsigned long)got[0], (unsigned long)got[1], d[0], d[1]);
    CHECK(got[0] == 200 && d[0] == 0.0f && d[1] == 4.0f);
    uint8_t back[4];
    uint64_t l = 5;
    OK(hnsw_index_get_items(index, &l, 1, back, sizeof back));
    CHECK(!memcmp(back, rows + 20, 4));
    hnsw_index_free(index);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <scratch dir> [fixtures dir]\n", argv[0]);
        return 2;
    }
    scratch = argv[1];
    RUN(test_info);
    RUN(test_spaces);
    RUN(test_build_and_search);
    RUN(test_auto_labels_and_resize);
    RUN(test_update_and_delete);
    RUN(test_filter_and_small_index);
    RUN(test_files_and_buffers);
    RUN(test_cosine_and_u8);
    return 0;
}
