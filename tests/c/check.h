/* Assertions and helpers shared by the C tests of libhnswlib. */
#ifndef HNSW_TEST_CHECK_H
#define HNSW_TEST_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hnswlib.h"

/* Fails the test with the location when cond is false. */
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* The call must succeed. */
#define OK(call)                                                                 \
    do {                                                                         \
        hnsw_status s_ = (call);                                                 \
        if (s_ != HNSW_OK) {                                                     \
            fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__,   \
                    #call, hnsw_status_name(s_), hnsw_last_error());             \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* The call must fail with `code`, leaving a message that contains `needle`. */
#define FAILS(code, needle, call)                                                \
    do {                                                                         \
        hnsw_status s_ = (call);                                                 \
        if (s_ != (code)) {                                                      \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s (%s)\n",         \
                    __FILE__, __LINE__, #call, hnsw_status_name(s_),             \
                    hnsw_status_name(code), hnsw_last_error());                  \
            exit(1);                                                             \
        }                                                                        \
        if (!strstr(hnsw_last_error(), (needle))) {                              \
            fprintf(stderr, "%s:%d: %s: message \"%s\" lacks \"%s\"\n",          \
                    __FILE__, __LINE__, #call, hnsw_last_error(), (needle));     \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

#define RUN(test)                                                                \
    do {                                                                         \
        test();                                                                  \
        printf("ok   %s\n", #test);                                              \
    } while (0)

/* Deterministic uniform floats in [0, 1) (xorshift64). */
static inline void random_floats(float *out, size_t n, uint64_t seed) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out[i] = (float)(s >> 40) / (float)(1u << 24);
    }
}

static inline float *random_matrix(size_t rows, size_t dim, uint64_t seed) {
    float *m = malloc(rows * dim * sizeof(float));
    CHECK(m != NULL);
    random_floats(m, rows * dim, seed);
    return m;
}

static inline float l2sq(const float *a, const float *b, size_t dim) {
    float d = 0;
    for (size_t i = 0; i < dim; i++) {
        float t = a[i] - b[i];
        d += t * t;
    }
    return d;
}

/* An HNSW index over an l2 space of `dim`, with the given capacity, M 16, efc 100. */
static inline hnsw_index *new_l2_index(size_t dim, size_t max_elements) {
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    OK(hnsw_space_l2(dim, &space));
    hnsw_params p = hnsw_params_default();
    p.max_elements = max_elements;
    p.ef_construction = 100;
    OK(hnsw_index_new(space, &p, &index));
    hnsw_space_free(space);
    return index;
}

/* Reads a whole file; *len gets its size. */
static inline unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    CHECK(buf != NULL);
    CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#endif
