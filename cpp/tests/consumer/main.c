/* The C API through the CMake package: one vector in, found again. */
#include <hnswlib.h>
#include <stdio.h>

int main(void) {
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    float v[4] = {1, 2, 3, 4};
    uint64_t label = 0;
    float distance = -1;
    size_t found = 0;
    hnsw_params params = hnsw_params_default();
    params.max_elements = 10;
    if (hnsw_space_l2(4, &space) != HNSW_OK || hnsw_index_new(space, &params, &index) != HNSW_OK ||
        hnsw_index_add(index, v, 42, false) != HNSW_OK ||
        hnsw_index_knn(index, v, 1, NULL, &label, &distance, 1, &found) != HNSW_OK) {
        fprintf(stderr, "error: %s\n", hnsw_last_error());
        return 1;
    }
    printf("libhnswlib %s: label %llu at distance %g\n", hnsw_version(), (unsigned long long)label, distance);
    hnsw_index_free(index);
    hnsw_space_free(space);
    return found == 1 && label == 42 && distance == 0 ? 0 : 1;
}
