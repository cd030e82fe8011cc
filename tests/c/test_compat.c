/* Files written by hnswlib 0.8.0 (core/tests/fixtures, see its README): they load
 * through the C ABI (into quantized indexes too) and answer as hnswlib did; a
 * single-threaded build writes hnswlib's bytes exactly. Usage: test_compat <scratch dir> <fixtures dir> */
#include "check.h"

static const char *fixtures;

static char *fixture(const char *name, const char *ext) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", fixtures, name, ext);
    return path;
}

/* Searches NAME.queries.f32 and compares with NAME.expected.txt (labels exactly but
 * for ties at the last distance, distances to float precision). `bf` selects the
 * brute-force file; `lo` (NULL: the defaults) loads the HNSW file. */
static void check_expected(const char *name, const char *ext, bool bf, const hnsw_load_options *lo) {
    size_t qlen = 0;
    float *queries = (float *)read_file(fixture(name, ".queries.f32"), &qlen);
    FILE *f = fopen(fixture(name, ".expected.txt"), "r");
    CHECK(f != NULL);
    char space_name[16];
    int dim, k, ef;
    size_t count;
    CHECK(fscanf(f, "space=%15s dim=%d k=%d ef=%d count=%zu", space_name, &dim, &k, &ef, &count) == 5);
    hnsw_space *space = NULL;
    OK(hnsw_space_new(space_name, (size_t)dim, &space));
    hnsw_index *index = NULL;
    hnsw_bf *brute = NULL;
    size_t n = 0;
    if (bf) {
        OK(hnsw_bf_load(fixture(name, ext), space, 0, &brute));
        OK(hnsw_bf_count(brute, &n));
    } else {
        OK(hnsw_index_load(fixture(name, ext), space, lo, &index));
        OK(hnsw_index_set_ef(index, (size_t)ef));
        OK(hnsw_index_count(index, &n));
    }
    CHECK(n == count);
    size_t rows = qlen / (sizeof(float) * (size_t)dim);
    CHECK(rows == 20);
    for (size_t q = 0; q < rows; q++) {
        uint64_t want[16], got[16];
        double wd[16];
        float gd[16];
        for (int i = 0; i < k; i++) CHECK(fscanf(f, "%lu", (unsigned long *)&want[i]) == 1);
        CHECK(fscanf(f, " |") == 0);
        for (int i = 0; i < k; i++) CHECK(fscanf(f, "%lf", &wd[i]) == 1);
        size_t found = 0;
        if (bf)
            OK(hnsw_bf_knn(brute, queries + q * (size_t)dim, (size_t)k, NULL, got, gd, 16, &found));
        else
            OK(hnsw_index_knn(index, queries + q * (size_t)dim, (size_t)k, NULL, got, gd, 16, &found));
        CHECK(found == (size_t)k);
        for (int i = 0; i < k; i++) {
            CHECK(fabs(gd[i] - wd[i]) <= 1e-5 * (1 + fabs(wd[i])));
            if (got[i] == want[i] || bf || gd[i] != (float)wd[k - 1] || (float)wd[i] != (float)wd[k - 1])
                CHECK(got[i] == want[i]);
            else {
                /* A tie at the last distance (integer data): hnswlib's heap and our
                 * query-time pool may keep different ones of the tied labels; the one
                 * returned must truly be at that distance. */
                float v[16], d = -1;
                CHECK(dim <= 16);
                OK(hnsw_index_get_items(index, &got[i], 1, v, sizeof v));
                OK(hnsw_space_distance(space, queries + q * (size_t)dim, v, &d));
                CHECK(d == gd[i]);
            }
        }
    }
    fclose(f);
    hnsw_index_free(index);
    hnsw_bf_free(brute);
    hnsw_space_free(space);
    free(queries);
}

static void test_hnswlib_files_answer_alike(void) {
    check_expected("l2_d16", ".hnsw", false, NULL); /* with two deleted elements */
    check_expected("ip_d8", ".hnsw", false, NULL);
    check_expected("cosine_d12", ".hnsw", false, NULL);
    check_expected("l2_int_d4_seed100", ".hnsw", false, NULL);
    check_expected("bf_l2_d4", ".bfi", true, NULL);
}

/* Loads `len` bytes of an index file with `lo` and returns it; saved again, it must
 * give the same bytes. */
static hnsw_index *check_resaves(const unsigned char *file, size_t len, const hnsw_space *space,
                                 const hnsw_load_options *lo) {
    hnsw_index *index = NULL;
    OK(hnsw_index_deserialize(file, len, space, lo, &index));
    uint8_t *bytes = NULL;
    size_t n = 0;
    OK(hnsw_index_serialize(index, &bytes, &n));
    CHECK(n == len && !memcmp(bytes, file, len));
    hnsw_buffer_free(bytes, n);
    return index;
}

static void test_hnswlib_files_resave_identically(void) {
    const char *names[] = {"l2_d16", "ip_d8", "cosine_d12"};
    const char *spaces[] = {"l2", "ip", "cosine"};
    const size_t dims[] = {16, 8, 12};
    for (int i = 0; i < 3; i++) {
        size_t len = 0;
        unsigned char *file = read_file(fixture(names[i], ".hnsw"), &len);
        hnsw_space *space = NULL;
        OK(hnsw_space_new(spaces[i], dims[i], &space));
        hnsw_index_free(check_resaves(file, len, space, NULL));
        hnsw_space_free(space);
        free(file);
    }
}

/* The files load into quantized indexes too (codes-only or not). With fewer elements
 * than a quantized index learns its codes from (1000), they search the exact vectors:
 * the same answers as hnswlib, and the same bytes when saved again. */
static void test_hnswlib_files_load_into_quantized_indexes(void) {
    const char *names[] = {"l2_d16", "ip_d8", "cosine_d12", "l2_int_d4_seed100"};
    const char *spaces[] = {"l2", "ip", "cosine", "l2"};
    const size_t dims[] = {16, 8, 12, 4};
    const hnsw_quantization modes[] = {HNSW_QUANT_SQ8, HNSW_QUANT_SQ4};
    for (int i = 0; i < 4; i++) {
        size_t len = 0;
        unsigned char *file = read_file(fixture(names[i], ".hnsw"), &len);
        hnsw_space *space = NULL;
        OK(hnsw_space_new(spaces[i], dims[i], &space));
        for (int m = 0; m < 2; m++) {
            for (int keep = 0; keep < 2; keep++) {
                hnsw_load_options lo = hnsw_load_options_default();
                lo.quantization = modes[m];
                lo.keep_vectors = keep;
                check_expected(names[i], ".hnsw", false, &lo);
                hnsw_index *index = check_resaves(file, len, space, &lo);
                hnsw_quantization q = HNSW_QUANT_NONE;
                bool trained = true, keeps = !keep;
                OK(hnsw_index_quantization(index, &q));
                OK(hnsw_index_is_trained(index, &trained));
                OK(hnsw_index_keeps_vectors(index, &keeps));
                CHECK(q == modes[m] && !trained && keeps == (bool)keep);
                hnsw_index_free(index);
            }
        }
        hnsw_space_free(space);
        free(file);
    }
}

static void test_single_threaded_build_matches_hnswlib_bytes(void) {
    size_t dlen = 0, llen = 0, flen = 0;
    float *data = (float *)read_file(fixture("l2_int_d4_seed100", ".data.f32"), &dlen);
    uint64_t *labels = (uint64_t *)read_file(fixture("l2_int_d4_seed100", ".labels.u64"), &llen);
    unsigned char *file = read_file(fixture("l2_int_d4_seed100", ".hnsw"), &flen);
    size_t rows = llen / sizeof(uint64_t);
    CHECK(rows == 400 && dlen == rows * 4 * sizeof(float));
    hnsw_space *space = NULL;
    hnsw_index *index = NULL;
    OK(hnsw_space_l2(4, &space));
    hnsw_params p = hnsw_params_default();
    p.max_elements = 400;
    p.M = 4;
    p.ef_construction = 20;
    p.random_seed = 100;
    OK(hnsw_index_new(space, &p, &index));
    for (size_t i = 0; i < rows; i++) OK(hnsw_index_add(index, data + i * 4, labels[i], false));
    uint8_t *bytes = NULL;
    size_t n = 0;
    OK(hnsw_index_serialize(index, &bytes, &n));
    CHECK(n == flen && !memcmp(bytes, file, flen));
    hnsw_buffer_free(bytes, n);
    hnsw_index_free(index);
    hnsw_space_free(space);
    free(file);
    free(labels);
    free(data);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s <scratch dir> <fixtures dir>\n", argv[0]);
        return 2;
    }
    fixtures = argv[2];
    RUN(test_hnswlib_files_answer_alike);
    RUN(test_hnswlib_files_resave_identically);
    RUN(test_hnswlib_files_load_into_quantized_indexes);
    RUN(test_single_threaded_build_matches_hnswlib_bytes);
    return 0;
}
