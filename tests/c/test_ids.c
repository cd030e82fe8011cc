/* Internal ids (hnsw_index_internal_id, _label_at, _is_deleted_at, _vector_at,
 * _vector_ptr_at) and searches under a caller's stop condition
 * (hnsw_index_search_stop_condition), compared with brute force. */
#include <float.h>
#include <stdbool.h>

#include "check.h"

#define DIM 8
#define N 1000

static float data[N * DIM];

static hnsw_index *build(hnsw_space *space, size_t n, const uint64_t *labels) {
    hnsw_params p = hnsw_params_default();
    p.max_elements = n;
    hnsw_index *index = NULL;
    OK(hnsw_index_new(space, &p, &index));
    for (size_t i = 0; i < n; i++) OK(hnsw_index_add(index, data + i * DIM, labels[i], false));
    return index;
}

static float sq_l2(const float *a, const float *b) {
    float d = 0;
    for (int i = 0; i < DIM; i++) d += (a[i] - b[i]) * (a[i] - b[i]);
    return d;
}

static void test_ids(void) {
    hnsw_space *space = NULL;
    OK(hnsw_space_l2(DIM, &space));
    uint64_t labels[50];
    for (int i = 0; i < 50; i++) labels[i] = 1000 - 7 * (uint64_t)i;
    hnsw_index *index = build(space, 50, labels);
    OK(hnsw_index_mark_deleted(index, labels[2]));
    for (uint64_t i = 0; i < 50; i++) {
        uint32_t id = 99;
        OK(hnsw_index_internal_id(index, labels[i], &id));
        CHECK(id == i);
        uint64_t label = 0;
        OK(hnsw_index_label_at(index, i, &label));
        CHECK(label == labels[i]);
        bool deleted = true;
        OK(hnsw_index_is_deleted_at(index, i, &deleted));
        CHECK(deleted == (i == 2));
        float v[DIM];
        OK(hnsw_index_vector_at(index, i, v, sizeof v));
        CHECK(memcmp(v, data + i * DIM, sizeof v) == 0);
        const void *p = NULL;
        OK(hnsw_index_vector_ptr_at(index, i, &p));
        CHECK(memcmp(p, v, sizeof v) == 0);
    }
    uint64_t label;
    bool b;
    float v[DIM];
    const void *p;
    uint32_t id;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "Internal id 50 is out of range: the index holds 50 elements",
          hnsw_index_label_at(index, 50, &label));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "out of range", hnsw_index_is_deleted_at(index, UINT64_MAX, &b));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "out of range", hnsw_index_vector_at(index, 1ull << 33, v, sizeof v));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "out of range", hnsw_index_vector_ptr_at(index, 77, &p));
    FAILS(HNSW_ERR_BUFFER_TOO_SMALL, "out", hnsw_index_vector_at(index, 0, v, sizeof v - 1));
    FAILS(HNSW_ERR_LABEL_NOT_FOUND, "Label not found", hnsw_index_internal_id(index, 5, &id));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_label_at(index, 0, NULL));
    FAILS(HNSW_ERR_NULL_POINTER, "index", hnsw_index_vector_ptr_at(NULL, 0, &p));

    /* The ids of a saved index are the same after loading. */
    uint8_t *bytes = NULL;
    size_t len = 0;
    OK(hnsw_index_serialize(index, &bytes, &len));
    hnsw_index *loaded = NULL;
    OK(hnsw_index_deserialize(bytes, len, space, NULL, &loaded));
    hnsw_buffer_free(bytes, len);
    for (uint64_t i = 0; i < 50; i++) {
        OK(hnsw_index_label_at(loaded, i, &label));
        CHECK(label == labels[i]);
    }
    hnsw_index_free(loaded);
    hnsw_index_free(index);
    hnsw_space_free(space);
}

/* A condition of our own: the first `n` results, as a k-NN search with ef = n. */
typedef struct {
    size_t n, held, added, removed, filtered;
} first_n;

static void fn_add(uint64_t label, const void *element, float dist, void *u) {
    first_n *c = u;
    /* The element is the stored vector of the label (labels are row numbers here). */
    CHECK(memcmp(element, data + label * DIM, DIM * sizeof(float)) == 0);
    CHECK(dist >= 0);
    c->held++;
    c->added++;
}
static void fn_remove(uint64_t label, const void *element, float dist, void *u) {
    (void)label, (void)element, (void)dist;
    first_n *c = u;
    c->held--;
    c->removed++;
}
static bool fn_stop(float cand, float lower, void *u) {
    first_n *c = u;
    return cand > lower && c->held == c->n;
}
static bool fn_consider(float cand, float lower, void *u) {
    first_n *c = u;
    return c->held < c->n || cand < lower;
}
static bool fn_extra(void *u) {
    first_n *c = u;
    return c->held > c->n;
}
/* Keeps the first half. */
static size_t fn_filter(uint64_t *labels, float *distances, size_t count, void *u) {
    (void)labels, (void)distances;
    first_n *c = u;
    c->filtered = count;
    return count / 2;
}
static size_t fn_filter_bad(uint64_t *labels, float *distances, size_t count, void *u) {
    (void)labels, (void)distances, (void)u;
    return count + 1;
}

static void test_stop_condition(void) {
    hnsw_space *space = NULL;
    OK(hnsw_space_l2(DIM, &space));
    uint64_t labels[N];
    for (int i = 0; i < N; i++) labels[i] = (uint64_t)i;
    hnsw_index *index = build(space, N, labels);

    size_t hits = 0;
    for (int qi = 0; qi < 20; qi++) {
        float q[DIM];
        random_floats(q, DIM, 500 + (uint64_t)qi);
        first_n c = {20, 0, 0, 0, 0};
        hnsw_stop_condition cond = {fn_add, fn_remove, fn_stop, fn_consider, fn_extra, fn_filter, &c};
        hnsw_results *r = NULL;
        OK(hnsw_index_search_stop_condition(index, q, &cond, NULL, &r));
        CHECK(r->rows == 1);
        CHECK(c.filtered == 20);
        CHECK(r->lims[1] == 10);
        CHECK(c.removed > 0 && c.added == c.removed + 20);
        CHECK(r->docs == NULL);
        /* Brute force: how many elements are closer than each result. */
        for (size_t j = 0; j < r->lims[1]; j++) {
            CHECK(fabsf(r->distances[j] - sq_l2(q, data + r->labels[j] * DIM)) < 1e-4f);
            if (j) CHECK(r->distances[j - 1] <= r->distances[j]);
            size_t closer = 0;
            for (int i = 0; i < N; i++)
                if (sq_l2(q, data + i * DIM) < r->distances[j]) closer++;
            if (closer < 10) hits++;
        }
        hnsw_results_free(r);
    }
    CHECK(hits >= 190); /* recall of the 10 nearest >= 0.95 */

    /* Filters apply; required callbacks; filter_results may not grow the results. */
    first_n c = {5, 0, 0, 0, 0};
    hnsw_stop_condition cond = {fn_add, fn_remove, fn_stop, fn_consider, fn_extra, NULL, &c};
    hnsw_search_options o = hnsw_search_options_default();
    uint64_t allowed[3] = {4, 40, 400};
    hnsw_label_filter *f = NULL;
    OK(hnsw_label_filter_allow(allowed, 3, &f));
    o.label_filter = f;
    hnsw_results *r = NULL;
    OK(hnsw_index_search_stop_condition(index, data, &cond, &o, &r));
    CHECK(r->lims[1] == 3);
    for (size_t j = 0; j < 3; j++) CHECK(r->labels[j] == 4 || r->labels[j] == 40 || r->labels[j] == 400);
    hnsw_results_free(r);
    hnsw_label_filter_free(f);

    cond.should_remove_extra = NULL;
    FAILS(HNSW_ERR_NULL_POINTER, "should_remove_extra",
          hnsw_index_search_stop_condition(index, data, &cond, NULL, &r));
    cond.should_remove_extra = fn_extra;
    cond.filter_results = fn_filter_bad;
    c.held = 0;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "filter_results returned 6",
          hnsw_index_search_stop_condition(index, data, &cond, NULL, &r));
    FAILS(HNSW_ERR_NULL_POINTER, "cond", hnsw_index_search_stop_condition(index, data, NULL, NULL, &r));
    hnsw_index_free(index);
    hnsw_space_free(space);
}

int main(void) {
    random_floats(data, N * DIM, 42);
    RUN(test_ids);
    RUN(test_stop_condition);
    return 0;
}
