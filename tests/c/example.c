/* The C example of README.md: build, search with a filter, save and load. */
#include <stdio.h>

#include "hnswlib.h"

static bool even_labels(uint64_t label, void *user_data) {
    (void)user_data;
    return label % 2 == 0;
}

static int fail(hnsw_status s) {
    fprintf(stderr, "%s: %s\n", hnsw_status_name(s), hnsw_last_error());
    return 1;
}

int main(void) {
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    hnsw_status s;
    if ((s = hnsw_space_l2(2, &space))) return fail(s);

    hnsw_params params = hnsw_params_default(); /* M 16, ef_construction 200, seed 100 */
    params.max_elements = 100;
    if ((s = hnsw_index_new(space, &params, &index))) return fail(s);

    float data[4][2] = {{0, 0}, {1, 0}, {0, 1}, {5, 5}};
    uint64_t labels[4] = {10, 11, 12, 13};
    if ((s = hnsw_index_add_batch(index, data, 4, labels, NULL))) return fail(s);

    float query[2] = {0.9f, 0.1f};
    uint64_t found_labels[3];
    float distances[3];
    size_t found = 0;
    hnsw_search_options opts = hnsw_search_options_default();
    opts.filter = even_labels;
    if ((s = hnsw_index_knn(index, query, 3, &opts, found_labels, distances, 3, &found)))
        return fail(s);
    for (size_t i = 0; i < found; i++)
        printf("label %llu distance %.2f\n", (unsigned long long)found_labels[i], distances[i]);

    if ((s = hnsw_index_save(index, "example.hnsw"))) return fail(s);
    hnsw_index *loaded = NULL;
    if ((s = hnsw_index_load("example.hnsw", space, NULL, &loaded))) return fail(s);
    size_t count = 0;
    hnsw_index_count(loaded, &count);
    printf("loaded %zu elements (SIMD: %s)\n", count, hnsw_simd_path());

    hnsw_index_free(loaded);
    hnsw_index_free(index);
    hnsw_space_free(space);
    return 0;
}
