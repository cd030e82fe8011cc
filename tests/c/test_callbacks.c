/* Callbacks: filters, a custom distance called from many threads, progress with
 * cancel, adds concurrent with searches, and calls back into the same index.
 * Usage: test_callbacks <scratch dir> [fixtures dir] */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "check.h"

enum { DIM = 8, N = 3000 };

/* ---- filter ---------------------------------------------------------------------- */

static atomic_size_t filter_calls;

static bool only_multiples(uint64_t label, void *user_data) {
    atomic_fetch_add(&filter_calls, 1);
    return label % *(const uint64_t *)user_data == 0;
}

static bool accept_none(uint64_t label, void *user_data) {
    (void)label;
    (void)user_data;
    return false;
}

static void test_filter(void) {
    float *data = random_matrix(N, DIM, 11);
    hnsw_index *index = new_l2_index(DIM, N);
    OK(hnsw_index_add_batch(index, data, N, NULL, NULL));
    uint64_t every = 3;
    hnsw_search_options so = hnsw_search_options_default();
    so.filter = only_multiples;
    so.filter_user_data = &every;
    so.ef = 50;
    uint64_t l[10];
    float d[10];
    size_t found = 0;
    for (size_t q = 0; q < 30; q++) {
        OK(hnsw_index_knn(index, data + q * DIM, 10, &so, l, d, 10, &found));
        CHECK(found == 10);
        for (int i = 0; i < 10; i++) CHECK(l[i] % 3 == 0);
        if (q % 3 == 0) CHECK(l[0] == q);
    }
    CHECK(atomic_load(&filter_calls) > 0);

    /* Batch search on two threads, and the brute-force index, with the same filter. */
    enum { Q = 64 };
    uint64_t bl[Q * 10];
    float bd[Q * 10];
    so.num_threads = 2;
    OK(hnsw_index_knn_batch(index, data, Q, 10, &so, bl, bd, Q * 10, NULL));
    for (size_t i = 0; i < Q * 10; i++) CHECK(bl[i] % 3 == 0);

    hnsw_space *space = NULL;
    hnsw_bf *bf = NULL;
    OK(hnsw_space_l2(DIM, &space));
    OK(hnsw_bf_new(space, N, &bf));
    uint64_t *labels = malloc(N * sizeof(uint64_t));
    for (size_t i = 0; i < N; i++) labels[i] = i;
    OK(hnsw_bf_add_batch(bf, data, N, labels));
    OK(hnsw_bf_knn_batch(bf, data, Q, 10, &so, bl, bd, Q * 10, NULL));
    for (size_t i = 0; i < Q * 10; i++) CHECK(bl[i] % 3 == 0);
    /* A filter that accepts nothing gives no results. */
    so.filter = accept_none;
    OK(hnsw_bf_knn(bf, data + DIM, 10, &so, l, d, 10, &found));
    CHECK(found == 0 && l[0] == UINT64_MAX);
    free(labels);
    hnsw_bf_free(bf);
    hnsw_space_free(space);
    hnsw_index_free(index);
    free(data);
}

/* ---- custom distance ------------------------------------------------------------- */

struct distance_state {
    atomic_ulong calls;
    size_t dim;
};

static float custom_l2(const void *a, const void *b, const void *user_data) {
    struct distance_state *st = (struct distance_state *)user_data;
    atomic_fetch_add(&st->calls, 1);
    return l2sq(a, b, st->dim);
}

struct search_job {
    hnsw_index *index;
    const float *data;
    size_t first, count;
    size_t self_hits;
};

static void *search_worker(void *arg) {
    struct search_job *job = arg;
    uint64_t l[5];
    float d[5];
    size_t found;
    for (size_t i = job->first; i < job->first + job->count; i++) {
        OK(hnsw_index_knn(job->index, job->data + i * DIM, 5, NULL, l, d, 5, &found));
        job->self_hits += found == 5 && l[0] == i;
    }
    return NULL;
}

static void test_custom_distance_from_threads(void) {
    float *data = random_matrix(N, DIM, 12);
    struct distance_state st = {.dim = DIM};
    atomic_init(&st.calls, 0);
    hnsw_space *custom = NULL, *builtin = NULL;
    OK(hnsw_space_custom(DIM * sizeof(float), custom_l2, &st, &custom));
    size_t size = 0;
    OK(hnsw_space_element_size(custom, &size));
    CHECK(size == DIM * sizeof(float));
    OK(hnsw_space_l2(DIM, &builtin));

    /* Single-threaded builds with the same seed draw the same levels; with the same
     * distance the graphs (and so the results) agree. */
    hnsw_params p = hnsw_params_default();
    p.max_elements = N;
    p.ef_construction = 64;
    hnsw_index *a = NULL, *b = NULL;
    OK(hnsw_index_new(custom, &p, &a));
    OK(hnsw_index_new(builtin, &p, &b));
    hnsw_space_free(custom); /* the index keeps its own copy */
    hnsw_add_options one = hnsw_add_options_default();
    one.num_threads = 1;
    OK(hnsw_index_add_batch(a, data, N, NULL, &one));
    OK(hnsw_index_add_batch(b, data, N, NULL, &one));
    unsigned long after_build = atomic_load(&st.calls);
    CHECK(after_build > N);
    size_t same = 0;
    for (size_t q = 0; q < 100; q++) {
        uint64_t la[10], lb[10];
        float da[10], db[10];
        OK(hnsw_index_knn(a, data + q * 17 * DIM, 10, NULL, la, da, 10, NULL));
        OK(hnsw_index_knn(b, data + q * 17 * DIM, 10, NULL, lb, db, 10, NULL));
        for (int i = 0; i < 10; i++) same += la[i] == lb[i];
    }
    printf("     custom vs built-in l2: %zu/1000 equal labels\n", same);
    CHECK(same >= 990); /* summation order may differ from the SIMD kernel */

    /* Four threads search the custom index at once; every call is counted. */
    pthread_t t[4];
    struct search_job jobs[4];
    atomic_store(&st.calls, 0);
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct search_job){a, data, (size_t)i * 500, 500, 0};
        CHECK(pthread_create(&t[i], NULL, search_worker, &jobs[i]) == 0);
    }
    size_t hits = 0;
    for (int i = 0; i < 4; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        hits += jobs[i].self_hits;
    }
    uint64_t dcs = 0;
    OK(hnsw_index_metrics(a, NULL, &dcs));
    printf("     4 threads: %zu/2000 self hits, %lu distance calls\n", hits, atomic_load(&st.calls));
    CHECK(hits >= 1990);
    /* The search counts the same distance computations the callback saw (plus the
     * 100 earlier queries' share, counted before the reset of the callback counter). */
    CHECK(atomic_load(&st.calls) > 2000 && atomic_load(&st.calls) <= dcs);

    /* Multi-threaded batch add through the callback. */
    hnsw_index *c = NULL;
    OK(hnsw_space_custom(DIM * sizeof(float), custom_l2, &st, &custom));
    OK(hnsw_index_new(custom, &p, &c));
    hnsw_space_free(custom);
    atomic_store(&st.calls, 0);
    hnsw_add_options two = hnsw_add_options_default();
    two.num_threads = 2;
    OK(hnsw_index_add_batch(c, data, N, NULL, &two));
    CHECK(atomic_load(&st.calls) > N);

    /* hnsw_space_distance calls the callback too. */
    OK(hnsw_space_custom(DIM * sizeof(float), custom_l2, &st, &custom));
    float dist = -1;
    OK(hnsw_space_distance(custom, data, data + DIM, &dist));
    CHECK(dist == l2sq(data, data + DIM, DIM));
    hnsw_space_free(custom);

    hnsw_index_free(a);
    hnsw_index_free(b);
    hnsw_index_free(c);
    hnsw_space_free(builtin);
    free(data);
}

/* ---- progress and cancel --------------------------------------------------------- */

struct progress_state {
    atomic_size_t calls;
    atomic_size_t last_done;
    size_t cancel_after; /* calls; 0 = never */
};

static bool on_progress(size_t done, size_t total, void *user_data) {
    struct progress_state *st = user_data;
    CHECK(done <= total && total == N);
    size_t calls = atomic_fetch_add(&st->calls, 1) + 1;
    size_t prev = atomic_load(&st->last_done);
    while (done > prev && !atomic_compare_exchange_weak(&st->last_done, &prev, done)) {
    }
    return st->cancel_after == 0 || calls < st->cancel_after;
}

static void test_progress_and_cancel(void) {
    float *data = random_matrix(N, DIM, 13);
    hnsw_index *index = new_l2_index(DIM, N);
    struct progress_state st = {.cancel_after = 0};
    hnsw_add_options opts = hnsw_add_options_default();
    opts.progress = on_progress;
    opts.progress_user_data = &st;
    OK(hnsw_index_add_batch(index, data, N, NULL, &opts));
    CHECK(atomic_load(&st.calls) >= 10 && atomic_load(&st.last_done) == N);
    hnsw_index_free(index);

    /* Cancelled after the third report: an error, some rows in, the index usable. */
    index = new_l2_index(DIM, N);
    struct progress_state stop = {.cancel_after = 3};
    opts.progress_user_data = &stop;
    opts.num_threads = 2;
    FAILS(HNSW_ERR_CANCELLED, "Cancelled", hnsw_index_add_batch(index, data, N, NULL, &opts));
    size_t count = 0;
    OK(hnsw_index_count(index, &count));
    printf("     cancelled with %zu of %d rows in the index\n", count, N);
    CHECK(count > 0 && count < N);
    uint64_t l[1];
    float d[1];
    OK(hnsw_index_knn(index, data, 1, NULL, l, d, 1, NULL));
    /* The rest can be added afterwards: labels that exist are updated, new ones added. */
    uint64_t *labels = malloc(N * sizeof(uint64_t));
    for (size_t i = 0; i < N; i++) labels[i] = i;
    OK(hnsw_index_add_batch(index, data, N, labels, NULL));
    OK(hnsw_index_count(index, &count));
    CHECK(count == N);
    free(labels);
    hnsw_index_free(index);
    free(data);
}

/* ---- adds concurrent with searches ----------------------------------------------- */

struct add_job {
    hnsw_index *index;
    const float *data;
};

static void *add_worker(void *arg) {
    struct add_job *job = arg;
    for (size_t i = 1000; i < N; i++) OK(hnsw_index_add(job->index, job->data + i * DIM, i, false));
    return NULL;
}

static void test_add_while_searching(void) {
    float *data = random_matrix(N, DIM, 14);
    hnsw_index *index = new_l2_index(DIM, N);
    OK(hnsw_index_add_batch(index, data, 1000, NULL, NULL));
    struct add_job add = {index, data};
    pthread_t adder, searchers[3];
    struct search_job jobs[3];
    CHECK(pthread_create(&adder, NULL, add_worker, &add) == 0);
    for (int i = 0; i < 3; i++) {
        jobs[i] = (struct search_job){index, data, (size_t)i * 300, 300, 0};
        CHECK(pthread_create(&searchers[i], NULL, search_worker, &jobs[i]) == 0);
    }
    CHECK(pthread_join(adder, NULL) == 0);
    size_t hits = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(pthread_join(searchers[i], NULL) == 0);
        hits += jobs[i].self_hits;
    }
    CHECK(hits >= 880);
    size_t count = 0;
    OK(hnsw_index_count(index, &count));
    CHECK(count == N);
    hnsw_index_free(index);
    free(data);
}

/* ---- calls into the index from its own callbacks --------------------------------- */

struct reentry {
    const hnsw_index *index;
    const char *path;
    atomic_int once;
    hnsw_status save, resize, serialize, knn;
    atomic_size_t progress_calls, progress_state_errors;
};

/* Exclusive calls fail with HNSW_ERR_STATE (they would wait for the search that runs
 * this filter); a search of the same index works. */
static bool reentering_filter(uint64_t label, void *user_data) {
    struct reentry *r = user_data;
    if (atomic_exchange(&r->once, 1) == 0) {
        r->save = hnsw_index_save(r->index, r->path);
        CHECK(strstr(hnsw_last_error(), "callback") != NULL);
        r->resize = hnsw_index_resize(r->index, 2 * N);
        uint8_t *bytes = NULL;
        size_t len = 0;
        r->serialize = hnsw_index_serialize(r->index, &bytes, &len);
        CHECK(bytes == NULL);
        uint64_t l[1];
        float d[1];
        float q[DIM] = {0};
        r->knn = hnsw_index_knn(r->index, q, 1, NULL, l, d, 1, NULL);
    }
    return label % 2 == 0;
}

/* Progress runs on the batch's worker threads: the same holds there. */
static bool reentering_progress(size_t done, size_t total, void *user_data) {
    (void)done;
    (void)total;
    struct reentry *r = user_data;
    atomic_fetch_add(&r->progress_calls, 1);
    if (hnsw_index_resize(r->index, 2 * N) == HNSW_ERR_STATE) {
        atomic_fetch_add(&r->progress_state_errors, 1);
    }
    return true;
}

static void test_reentry(const char *scratch) {
    /* A deadlock fails the test instead of hanging it. */
    alarm(60);
    float *data = random_matrix(N, DIM, 17);
    hnsw_index *index = new_l2_index(DIM, N);
    char path[4096];
    snprintf(path, sizeof path, "%s/reentry.bin", scratch);
    struct reentry r = {.index = index, .path = path};
    hnsw_add_options ao = hnsw_add_options_default();
    ao.num_threads = 2;
    ao.progress = reentering_progress;
    ao.progress_user_data = &r;
    OK(hnsw_index_add_batch(index, data, N, NULL, &ao));
    CHECK(atomic_load(&r.progress_calls) > 0);
    CHECK(atomic_load(&r.progress_state_errors) == atomic_load(&r.progress_calls));

    hnsw_search_options so = hnsw_search_options_default();
    so.filter = reentering_filter;
    so.filter_user_data = &r;
    uint64_t l[5];
    float d[5];
    size_t found = 0;
    OK(hnsw_index_knn(index, data, 5, &so, l, d, 5, &found));
    CHECK(found == 5);
    CHECK(r.save == HNSW_ERR_STATE && r.resize == HNSW_ERR_STATE && r.serialize == HNSW_ERR_STATE);
    CHECK(r.knn == HNSW_OK);
    size_t max = 0;
    OK(hnsw_index_max_elements(index, &max));
    CHECK(max == N);
    /* Outside the callback the same calls work. */
    OK(hnsw_index_resize(index, 2 * N));
    OK(hnsw_index_save(index, path));
    alarm(0);
    hnsw_index_free(index);
    free(data);
}

int main(int argc, char **argv) {
    RUN(test_filter);
    RUN(test_custom_distance_from_threads);
    RUN(test_progress_and_cancel);
    RUN(test_add_while_searching);
    CHECK(argc > 1);
    test_reentry(argv[1]);
    printf("ok   test_reentry\n");
    return 0;
}
