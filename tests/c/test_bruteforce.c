/* The brute-force index through the C ABI: exact answers against a search written
 * here, updates, removal, resize, files and buffers.
 * Usage: test_bruteforce <scratch dir> [fixtures dir] */
#include "check.h"

static const char *scratch;

enum { DIM = 12, N = 700 };

/* The exact k nearest rows of `q` among `n` live rows (labels = row numbers). */
static void exact_knn(const float *data, const bool *live, size_t n, const float *q, size_t k,
                      uint64_t *labels) {
    float *best = malloc(k * sizeof(float));
    for (size_t i = 0; i < k; i++) best[i] = INFINITY, labels[i] = UINT64_MAX;
    for (size_t r = 0; r < n; r++) {
        if (!live[r]) continue;
        float d = l2sq(q, data + r * DIM, DIM);
        if (d >= best[k - 1]) continue;
        size_t j = k - 1;
        while (j > 0 && best[j - 1] > d) {
            best[j] = best[j - 1];
            labels[j] = labels[j - 1];
            j--;
        }
        best[j] = d;
        labels[j] = r;
    }
    free(best);
}

static void test_exact_search(void) {
    float *data = random_matrix(N, DIM, 21);
    bool live[N];
    uint64_t labels[N];
    for (size_t i = 0; i < N; i++) live[i] = true, labels[i] = i;
    hnsw_space *space = NULL;
    hnsw_bf *bf = NULL;
    OK(hnsw_space_l2(DIM, &space));
    OK(hnsw_bf_new(space, N, &bf));
    OK(hnsw_bf_add_batch(bf, data, N - 1, labels));
    OK(hnsw_bf_add(bf, data + (N - 1) * DIM, N - 1));

    size_t v = 0;
    OK(hnsw_bf_count(bf, &v)); CHECK(v == N);
    OK(hnsw_bf_max_elements(bf, &v)); CHECK(v == N);
    OK(hnsw_bf_dim(bf, &v)); CHECK(v == DIM);

    /* Remove some; overwrite one with another row's vector. */
    for (size_t i = 0; i < N; i += 10) {
        OK(hnsw_bf_remove(bf, i));
        live[i] = false;
    }
    OK(hnsw_bf_add(bf, data + 5 * DIM, 7));
    memcpy(data + 7 * DIM, data + 5 * DIM, DIM * sizeof(float));
    bool has = true;
    OK(hnsw_bf_contains(bf, 10, &has)); CHECK(!has);
    OK(hnsw_bf_contains(bf, 11, &has)); CHECK(has);

    float *queries = random_matrix(30, DIM, 22);
    uint64_t got[30 * 8], want[8];
    float dist[30 * 8];
    size_t counts[30];
    OK(hnsw_bf_knn_batch(bf, queries, 30, 8, NULL, got, dist, 30 * 8, counts));
    for (size_t q = 0; q < 30; q++) {
        exact_knn(data, live, N, queries + q * DIM, 8, want);
        CHECK(counts[q] == 8);
        for (int i = 0; i < 8; i++) {
            /* rows 5 and 7 are equal now: either order is exact */
            bool tie = (want[i] == 5 || want[i] == 7) && (got[q * 8 + i] == 5 || got[q * 8 + i] == 7);
            CHECK(got[q * 8 + i] == want[i] || tie);
            CHECK(fabsf(dist[q * 8 + i] - l2sq(queries + q * DIM, data + got[q * 8 + i] * DIM, DIM)) < 1e-4f);
        }
        uint64_t one[8];
        float od[8];
        size_t found = 0;
        OK(hnsw_bf_knn(bf, queries + q * DIM, 8, NULL, one, od, 8, &found));
        CHECK(found == 8 && !memcmp(one, got + q * 8, sizeof one));
    }

    /* k above the count. */
    hnsw_bf *small = NULL;
    OK(hnsw_bf_new(space, 5, &small));
    OK(hnsw_bf_add_batch(small, data, 3, labels));
    size_t found = 0;
    OK(hnsw_bf_knn(small, queries, 8, NULL, got, dist, 8, &found));
    CHECK(found == 3 && got[3] == UINT64_MAX);
    FAILS(HNSW_ERR_STATE, "", hnsw_bf_resize(small, 2));
    OK(hnsw_bf_resize(small, 50));
    OK(hnsw_bf_max_elements(small, &v)); CHECK(v == 50);

    /* ids and get_items. */
    size_t count = 0;
    OK(hnsw_bf_ids(bf, NULL, 0, &count));
    CHECK(count == N - N / 10);
    uint64_t *ids = malloc(count * sizeof(uint64_t));
    OK(hnsw_bf_ids(bf, ids, count, &count));
    for (size_t i = 1; i < count; i++) CHECK(ids[i - 1] < ids[i] && ids[i] % 10 != 0);
    free(ids);
    float item[DIM];
    uint64_t seven = 7;
    OK(hnsw_bf_get_items(bf, &seven, 1, item, sizeof item));
    CHECK(!memcmp(item, data + 5 * DIM, sizeof item));

    /* Save, load, serialise, deserialise: same answers. */
    char path[512];
    snprintf(path, sizeof path, "%s/index.bf", scratch);
    hnsw_save_options unsynced = {.sync = false};
    OK(hnsw_bf_save_with(bf, path, &unsynced));
    OK(hnsw_bf_save(bf, path)); /* replaces it */
    hnsw_bf *loaded = NULL, *from_mem = NULL;
    OK(hnsw_bf_load(path, space, 0, &loaded));
    uint8_t *bytes = NULL;
    size_t len = 0;
    OK(hnsw_bf_serialize(bf, &bytes, &len));
    OK(hnsw_bf_deserialize(bytes, len, space, 2000, &from_mem));
    OK(hnsw_bf_max_elements(from_mem, &v)); CHECK(v == 2000);
    uint64_t l2[30 * 8];
    OK(hnsw_bf_knn_batch(loaded, queries, 30, 8, NULL, l2, dist, 30 * 8, NULL));
    /* (got was reused by the small index above: search the original again) */
    OK(hnsw_bf_knn_batch(bf, queries, 30, 8, NULL, got, dist, 30 * 8, NULL));
    CHECK(!memcmp(l2, got, sizeof l2));
    OK(hnsw_bf_knn_batch(from_mem, queries, 30, 8, NULL, l2, dist, 30 * 8, NULL));
    CHECK(!memcmp(l2, got, sizeof l2));
    for (size_t cut = 0; cut < len; cut += len / 23 + 1)
        CHECK(hnsw_bf_deserialize(bytes, cut, space, 0, &(hnsw_bf *){0}) == HNSW_ERR_FORMAT);
    hnsw_buffer_free(bytes, len);

    hnsw_bf_free(small);
    hnsw_bf_free(loaded);
    hnsw_bf_free(from_mem);
    hnsw_bf_free(bf);
    hnsw_space_free(space);
    free(queries);
    free(data);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <scratch dir> [fixtures dir]\n", argv[0]);
        return 2;
    }
    scratch = argv[1];
    RUN(test_exact_search);
    return 0;
}
