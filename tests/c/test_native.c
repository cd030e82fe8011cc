/* The native file format and read-only views through the C ABI: saving either format,
 * hnsw_index_open (no space needed) and hnsw_index_deserialize_native, the index's
 * space and settings taken from the file, hnsw_index_open_view / hnsw_index_view,
 * the errors of mutating a view and of opening what is not a native file.
 * Usage: test_native <scratch dir> [fixtures dir] */
#include "check.h"

static const char *scratch;

enum { DIM = 16, N = 800 };

static char *scratch_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

/* The l2 index the tests save: N rows of `data`, label 3 deleted, ef 37. */
static hnsw_index *saved_index(const float *data) {
    hnsw_index *index = new_l2_index(DIM, 1000);
    OK(hnsw_index_add_batch(index, data, N, NULL, NULL));
    OK(hnsw_index_mark_deleted(index, 3));
    OK(hnsw_index_set_ef(index, 37));
    return index;
}

static void save_as(const hnsw_index *index, const char *path, hnsw_file_format format) {
    hnsw_save_options so = hnsw_save_options_default();
    so.format = format;
    OK(hnsw_index_save_with(index, path, &so));
}

/* Both indexes answer 20 queries identically (labels and distances). */
static void check_same_answers(const hnsw_index *a, const hnsw_index *b, const float *data) {
    for (size_t q = 0; q < 20; q++) {
        uint64_t la[10], lb[10];
        float da[10], db[10];
        size_t fa = 0, fb = 0;
        OK(hnsw_index_knn(a, data + q * 31 * DIM, 10, NULL, la, da, 10, &fa));
        OK(hnsw_index_knn(b, data + q * 31 * DIM, 10, NULL, lb, db, 10, &fb));
        CHECK(fa == 10 && fb == 10);
        CHECK(!memcmp(la, lb, sizeof la) && !memcmp(da, db, sizeof da));
        for (int i = 0; i < 10; i++) CHECK(la[i] != 3);
    }
}

/* The index reports what `want` does: space, dim, count, capacity, deletions, M, ef. */
static void check_same_settings(const hnsw_index *got, const hnsw_index *want, const char *space_name) {
    size_t a = 0, b = 0;
    OK(hnsw_index_dim(got, &a)); OK(hnsw_index_dim(want, &b)); CHECK(a == b);
    OK(hnsw_index_count(got, &a)); OK(hnsw_index_count(want, &b)); CHECK(a == b);
    OK(hnsw_index_max_elements(got, &a)); OK(hnsw_index_max_elements(want, &b)); CHECK(a == b);
    OK(hnsw_index_deleted_count(got, &a)); OK(hnsw_index_deleted_count(want, &b)); CHECK(a == b);
    OK(hnsw_index_m(got, &a)); OK(hnsw_index_m(want, &b)); CHECK(a == b);
    OK(hnsw_index_ef_construction(got, &a)); OK(hnsw_index_ef_construction(want, &b)); CHECK(a == b);
    OK(hnsw_index_get_ef(got, &a)); OK(hnsw_index_get_ef(want, &b)); CHECK(a == b);
    hnsw_space *space = NULL;
    const char *name = NULL;
    OK(hnsw_index_space(got, &space));
    OK(hnsw_space_name(space, &name));
    CHECK(!strcmp(name, space_name));
    OK(hnsw_space_dim(space, &a));
    OK(hnsw_index_dim(want, &b));
    CHECK(a == b);
    hnsw_space_free(space);
}

static void test_formats_and_open(void) {
    float *data = random_matrix(N, DIM, 4);
    hnsw_index *index = saved_index(data);
    char native[512], hnswlib[512];
    scratch_path(native, sizeof native, "index.native");
    scratch_path(hnswlib, sizeof hnswlib, "index.hnsw");

    /* hnswlib's format stays the default, for files and buffers. */
    CHECK(hnsw_save_options_default().format == HNSW_FORMAT_HNSWLIB);
    OK(hnsw_index_save_with(index, hnswlib, NULL));
    uint8_t *bytes = NULL;
    size_t len = 0, file_len = 0;
    OK(hnsw_index_serialize(index, &bytes, &len));
    unsigned char *file = read_file(hnswlib, &file_len);
    CHECK(file_len == len && !memcmp(file, bytes, len));
    free(file);
    uint8_t *same = NULL;
    size_t same_len = 0;
    OK(hnsw_index_serialize_with(index, HNSW_FORMAT_HNSWLIB, &same, &same_len));
    CHECK(same_len == len && !memcmp(same, bytes, len));
    hnsw_buffer_free(same, same_len);
    hnsw_buffer_free(bytes, len);

    /* The native format: a file and a buffer with the same bytes. */
    save_as(index, native, HNSW_FORMAT_NATIVE);
    OK(hnsw_index_serialize_with(index, HNSW_FORMAT_NATIVE, &bytes, &len));
    file = read_file(native, &file_len);
    CHECK(file_len == len && !memcmp(file, bytes, len));
    free(file);

    /* Opened with no space: the file's space, dim and settings, the same answers. */
    hnsw_index *opened = NULL, *from_mem = NULL, *with_space = NULL;
    OK(hnsw_index_open(native, NULL, &opened));
    check_same_settings(opened, index, "l2");
    check_same_answers(index, opened, data);
    OK(hnsw_index_deserialize_native(bytes, len, NULL, &from_mem));
    check_same_settings(from_mem, index, "l2");
    check_same_answers(index, from_mem, data);
    bool view = true;
    OK(hnsw_index_is_view(opened, &view));
    CHECK(!view);
    /* hnsw_index_load and hnsw_index_deserialize read either format. */
    hnsw_space *l2 = NULL;
    OK(hnsw_space_l2(DIM, &l2));
    OK(hnsw_index_load(native, l2, NULL, &with_space));
    check_same_answers(index, with_space, data);
    hnsw_index_free(with_space);
    OK(hnsw_index_deserialize(bytes, len, l2, NULL, &with_space));
    check_same_answers(index, with_space, data);
    hnsw_index_free(with_space);
    /* A native file of another dimension does not load into a space of this one. */
    hnsw_space *wrong = NULL;
    OK(hnsw_space_l2(DIM + 1, &wrong));
    hnsw_index *bad = NULL;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "not l2 of dim 17", hnsw_index_load(native, wrong, NULL, &bad));
    hnsw_space_free(wrong);
    /* Load options apply: a larger capacity. */
    hnsw_load_options lo = hnsw_load_options_default();
    lo.max_elements = 3000;
    hnsw_index *bigger = NULL;
    OK(hnsw_index_open(native, &lo, &bigger));
    size_t cap = 0;
    OK(hnsw_index_max_elements(bigger, &cap));
    CHECK(cap == 3000);
    hnsw_index_free(bigger);
    /* A loaded native index changes like any other. */
    OK(hnsw_index_add(opened, data, 5000, false));
    OK(hnsw_index_mark_deleted(opened, 5000));

    /* hnswlib's format does not name its space: open needs the native one. */
    FAILS(HNSW_ERR_FORMAT, "does not name its space", hnsw_index_open(hnswlib, NULL, &bad));
    uint8_t *hbytes = NULL;
    size_t hlen = 0;
    OK(hnsw_index_serialize(index, &hbytes, &hlen));
    FAILS(HNSW_ERR_FORMAT, "does not name its space", hnsw_index_deserialize_native(hbytes, hlen, NULL, &bad));
    hnsw_buffer_free(hbytes, hlen);
    /* Truncated native bytes: an error at every length, never a crash. */
    for (size_t cut = 0; cut < len; cut += len / 41 + 1)
        CHECK(hnsw_index_deserialize_native(bytes, cut, NULL, &bad) == HNSW_ERR_FORMAT);
    CHECK(bad == NULL);

    /* A format that is not one; a brute-force index in the native format. */
    hnsw_save_options so = hnsw_save_options_default();
    so.format = 7;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "hnsw_save_options.format is 7", hnsw_index_save_with(index, native, &so));
    uint8_t *none = NULL;
    size_t none_len = 0;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "not a file format", hnsw_index_serialize_with(index, -1, &none, &none_len));
    CHECK(none == NULL);
    hnsw_bf *bf = NULL;
    OK(hnsw_bf_new(l2, 10, &bf));
    so.format = HNSW_FORMAT_NATIVE;
    FAILS(HNSW_ERR_STATE, "hnswlib's format only", hnsw_bf_save_with(bf, native, &so));
    hnsw_bf_free(bf);

    /* NULL pointers. */
    FAILS(HNSW_ERR_NULL_POINTER, "path", hnsw_index_open(NULL, NULL, &bad));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_open(native, NULL, NULL));
    FAILS(HNSW_ERR_NULL_POINTER, "data", hnsw_index_deserialize_native(NULL, 10, NULL, &bad));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_deserialize_native(bytes, len, NULL, NULL));
    FAILS(HNSW_ERR_NULL_POINTER, "index", hnsw_index_serialize_with(NULL, HNSW_FORMAT_NATIVE, &none, &none_len));
    FAILS(HNSW_ERR_NULL_POINTER, "len", hnsw_index_serialize_with(index, HNSW_FORMAT_NATIVE, &none, NULL));
    FAILS(HNSW_ERR_NULL_POINTER, "index", hnsw_index_space(NULL, &l2));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_space(index, NULL));
    const char *name = NULL;
    FAILS(HNSW_ERR_NULL_POINTER, "space", hnsw_space_name(NULL, &name));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_space_name(l2, NULL));
    CHECK(bad == NULL && none == NULL);

    hnsw_buffer_free(bytes, len);
    hnsw_space_free(l2);
    hnsw_index_free(opened);
    hnsw_index_free(from_mem);
    hnsw_index_free(index);
    free(data);
}

static void test_view(void) {
    float *data = random_matrix(N, DIM, 5);
    hnsw_index *index = saved_index(data);
    char native[512], resaved[512];
    scratch_path(native, sizeof native, "view.native");
    scratch_path(resaved, sizeof resaved, "view-resaved");
    save_as(index, native, HNSW_FORMAT_NATIVE);

    hnsw_view_options vo = hnsw_view_options_default();
    CHECK(!vo.verify && !vo.populate);
    hnsw_index *view = NULL, *checked = NULL;
    OK(hnsw_index_open_view(native, NULL, &view));
    vo.verify = vo.populate = true;
    OK(hnsw_index_open_view(native, &vo, &checked));
    bool is_view = false;
    OK(hnsw_index_is_view(view, &is_view));
    CHECK(is_view);
    OK(hnsw_index_is_view(index, &is_view));
    CHECK(!is_view);
    check_same_settings(view, index, "l2");
    check_same_answers(index, view, data);
    check_same_answers(index, checked, data);
    uint64_t connections = 0;
    OK(hnsw_index_check_integrity(view, &connections));
    CHECK(connections > 0);
    float item[DIM];
    uint64_t label = 10;
    OK(hnsw_index_get_items(view, &label, 1, item, sizeof item));
    CHECK(!memcmp(item, data + 10 * DIM, sizeof item));
    /* The search-time ef is a setting, not a change of the file. */
    size_t ef = 0;
    OK(hnsw_index_set_ef(view, 50));
    OK(hnsw_index_get_ef(view, &ef));
    CHECK(ef == 50);
    OK(hnsw_index_set_ef(view, 37));

    /* Changes fail with a message naming the read-only view. */
    FAILS(HNSW_ERR_STATE, "read-only view", hnsw_index_add(view, data, 9000, false));
    FAILS(HNSW_ERR_STATE, "read-only view", hnsw_index_add(view, data, 1, false));
    FAILS(HNSW_ERR_STATE, "read-only view", hnsw_index_add_batch(view, data, 2, NULL, NULL));
    FAILS(HNSW_ERR_STATE, "read-only view", hnsw_index_mark_deleted(view, 1));
    FAILS(HNSW_ERR_STATE, "read-only view", hnsw_index_unmark_deleted(view, 3));
    FAILS(HNSW_ERR_STATE, "read-only view", hnsw_index_resize(view, 2000));
    size_t count = 0;
    OK(hnsw_index_count(view, &count));
    CHECK(count == N);

    /* A view saves in either format; both load back with the same answers. */
    hnsw_space *l2 = NULL;
    OK(hnsw_space_l2(DIM, &l2));
    hnsw_file_format formats[2] = {HNSW_FORMAT_HNSWLIB, HNSW_FORMAT_NATIVE};
    for (int i = 0; i < 2; i++) {
        save_as(view, resaved, formats[i]);
        hnsw_index *back = NULL;
        OK(hnsw_index_load(resaved, l2, NULL, &back));
        OK(hnsw_index_set_ef(back, 37)); /* hnswlib's format does not hold ef */
        check_same_answers(index, back, data);
        hnsw_index_free(back);
    }
    /* Saving over the viewed file itself replaces it by a rename: the view goes on. */
    save_as(view, native, HNSW_FORMAT_NATIVE);
    check_same_answers(index, view, data);
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    OK(hnsw_index_serialize_with(view, HNSW_FORMAT_NATIVE, &a, &alen));
    OK(hnsw_index_serialize_with(index, HNSW_FORMAT_NATIVE, &b, &blen));
    CHECK(alen == blen);
    hnsw_buffer_free(a, alen);
    hnsw_buffer_free(b, blen);

    hnsw_space_free(l2);
    hnsw_index_free(view);
    hnsw_index_free(checked);
    hnsw_index_free(index);
    free(data);
}

static void test_view_errors(void) {
    float *data = random_matrix(N, DIM, 6);
    hnsw_index *index = saved_index(data);
    char native[512], hnswlib[512], cut[512], garbage[512], empty[512], missing[512];
    scratch_path(native, sizeof native, "errors.native");
    scratch_path(hnswlib, sizeof hnswlib, "errors.hnsw");
    scratch_path(cut, sizeof cut, "errors.cut");
    scratch_path(garbage, sizeof garbage, "errors.garbage");
    scratch_path(empty, sizeof empty, "errors.empty");
    scratch_path(missing, sizeof missing, "no/such/file");
    save_as(index, native, HNSW_FORMAT_NATIVE);
    save_as(index, hnswlib, HNSW_FORMAT_HNSWLIB);
    size_t len = 0;
    unsigned char *bytes = read_file(native, &len);
    float noise[1024];
    random_floats(noise, 1024, 9);
    write_file(garbage, noise, sizeof noise);
    write_file(empty, "", 0);

    hnsw_index *bad = NULL;
    /* Viewing and opening what is not a native file fail alike: HNSW_ERR_FORMAT, with a
       message that tells an hnswlib file from what is no index. */
    FAILS(HNSW_ERR_FORMAT, "load it with its space and dim", hnsw_index_open_view(hnswlib, NULL, &bad));
    FAILS(HNSW_ERR_FORMAT, "load it with its space and dim", hnsw_index_open(hnswlib, NULL, &bad));
    FAILS(HNSW_ERR_FORMAT, "nor an index in hnswlib's format", hnsw_index_open_view(garbage, NULL, &bad));
    FAILS(HNSW_ERR_FORMAT, "not a file in the native format", hnsw_index_open_view(empty, NULL, &bad));
    FAILS(HNSW_ERR_IO, "no/such/file", hnsw_index_open_view(missing, NULL, &bad));
    FAILS(HNSW_ERR_IO, "no/such/file", hnsw_index_open(missing, NULL, &bad));
    FAILS(HNSW_ERR_FORMAT, "", hnsw_index_open(garbage, NULL, &bad));
    /* Truncated anywhere: an error, with and without verification. */
    hnsw_view_options vo = hnsw_view_options_default();
    for (size_t n = 8; n < len; n += len / 23 + 1) {
        write_file(cut, bytes, n);
        vo.verify = false;
        CHECK(hnsw_index_open_view(cut, &vo, &bad) == HNSW_ERR_FORMAT);
        vo.verify = true;
        CHECK(hnsw_index_open_view(cut, &vo, &bad) == HNSW_ERR_FORMAT);
        CHECK(hnsw_index_open(cut, NULL, &bad) == HNSW_ERR_FORMAT);
    }
    /* A flipped byte late in the file (level 0 or vectors): verify finds it. */
    bytes[len - len / 4] ^= 0x5a;
    write_file(cut, bytes, len);
    FAILS(HNSW_ERR_FORMAT, "", hnsw_index_open_view(cut, &vo, &bad));
    FAILS(HNSW_ERR_FORMAT, "", hnsw_index_open(cut, NULL, &bad));
    CHECK(bad == NULL);

    /* NULL pointers. */
    FAILS(HNSW_ERR_NULL_POINTER, "path", hnsw_index_open_view(NULL, NULL, &bad));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_open_view(native, NULL, NULL));
    hnsw_space *l2 = NULL;
    OK(hnsw_space_l2(DIM, &l2));
    FAILS(HNSW_ERR_NULL_POINTER, "space", hnsw_index_view(native, NULL, NULL, &bad));
    FAILS(HNSW_ERR_NULL_POINTER, "path", hnsw_index_view(NULL, l2, NULL, &bad));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_view(native, l2, NULL, NULL));
    bool flag = false;
    FAILS(HNSW_ERR_NULL_POINTER, "index", hnsw_index_is_view(NULL, &flag));
    FAILS(HNSW_ERR_NULL_POINTER, "out", hnsw_index_is_view(index, NULL));
    CHECK(bad == NULL);

    hnsw_space_free(l2);
    free(bytes);
    hnsw_index_free(index);
    free(data);
}

/* ---- custom distance: the file names it, but the function is the caller's --------- */

static float custom_l2(const void *a, const void *b, const void *user_data) {
    (void)user_data;
    return l2sq(a, b, DIM);
}

static void test_custom_space_view(void) {
    float *data = random_matrix(N, DIM, 7);
    hnsw_space *custom = NULL, *other = NULL, *l2 = NULL;
    OK(hnsw_space_custom(DIM * sizeof(float), custom_l2, NULL, &custom));
    OK(hnsw_space_custom(DIM * sizeof(float) + 4, custom_l2, NULL, &other));
    OK(hnsw_space_l2(DIM, &l2));
    hnsw_params p = hnsw_params_default();
    p.max_elements = N;
    hnsw_index *index = NULL;
    OK(hnsw_index_new(custom, &p, &index));
    OK(hnsw_index_add_batch(index, data, N, NULL, NULL));
    OK(hnsw_index_mark_deleted(index, 3));
    char native[512];
    scratch_path(native, sizeof native, "custom.native");
    save_as(index, native, HNSW_FORMAT_NATIVE);

    hnsw_index *bad = NULL, *view = NULL, *loaded = NULL;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "custom distance", hnsw_index_open(native, NULL, &bad));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "custom distance", hnsw_index_open_view(native, NULL, &bad));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "the file holds", hnsw_index_view(native, other, NULL, &bad));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "the file holds", hnsw_index_view(native, l2, NULL, &bad));
    CHECK(bad == NULL);
    OK(hnsw_index_view(native, custom, NULL, &view));
    OK(hnsw_index_load(native, custom, NULL, &loaded));
    bool is_view = false;
    OK(hnsw_index_is_view(view, &is_view));
    CHECK(is_view);
    check_same_answers(index, view, data);
    check_same_answers(loaded, view, data);
    hnsw_space *space = NULL;
    const char *name = NULL;
    OK(hnsw_index_space(view, &space));
    OK(hnsw_space_name(space, &name));
    CHECK(!strcmp(name, "custom"));
    hnsw_space_free(space);
    FAILS(HNSW_ERR_STATE, "read-only view", hnsw_index_add(view, data, 1, false));

    /* hnsw_index_view takes built-in spaces too (they must match the file's). */
    hnsw_index *l2_index = new_l2_index(DIM, N), *l2_view = NULL;
    OK(hnsw_index_add_batch(l2_index, data, N, NULL, NULL));
    OK(hnsw_index_mark_deleted(l2_index, 3));
    save_as(l2_index, native, HNSW_FORMAT_NATIVE);
    OK(hnsw_index_view(native, l2, NULL, &l2_view));
    check_same_answers(l2_index, l2_view, data);
    hnsw_space *cosine = NULL;
    OK(hnsw_space_cosine(DIM, &cosine));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "the file holds", hnsw_index_view(native, cosine, NULL, &bad));

    hnsw_space_free(cosine);
    hnsw_index_free(l2_view);
    hnsw_index_free(l2_index);
    hnsw_index_free(view);
    hnsw_index_free(loaded);
    hnsw_index_free(index);
    hnsw_space_free(custom);
    hnsw_space_free(other);
    hnsw_space_free(l2);
    free(data);
}

/* A named custom space: the native file keeps the name, and another name is refused. */
static void test_named_custom_space(void) {
    float *data = random_matrix(N, DIM, 9);
    hnsw_space *custom = NULL, *named = NULL, *other = NULL, *bad = NULL, *l2 = NULL;
    OK(hnsw_space_custom(DIM * sizeof(float), custom_l2, NULL, &custom));
    OK(hnsw_space_named(custom, "my-l2", &named));
    OK(hnsw_space_named(custom, "another", &other));
    const char *name = "unset";
    OK(hnsw_space_custom_name(custom, &name));
    CHECK(name == NULL);
    OK(hnsw_space_custom_name(named, &name));
    CHECK(name && !strcmp(name, "my-l2"));
    OK(hnsw_space_l2(DIM, &l2));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "only custom spaces", hnsw_space_named(l2, "x", &bad));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "space name", hnsw_space_named(custom, "", &bad));
    FAILS(HNSW_ERR_NULL_POINTER, "name", hnsw_space_named(custom, NULL, &bad));
    CHECK(bad == NULL);

    hnsw_params p = hnsw_params_default();
    p.max_elements = N;
    hnsw_index *index = NULL;
    OK(hnsw_index_new(named, &p, &index));
    OK(hnsw_index_add_batch(index, data, N, NULL, NULL));
    OK(hnsw_index_mark_deleted(index, 3)); /* check_same_answers expects label 3 deleted */
    char native[512];
    scratch_path(native, sizeof native, "named.native");
    save_as(index, native, HNSW_FORMAT_NATIVE);

    hnsw_index *none = NULL, *view = NULL, *loaded = NULL;
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "\"my-l2\"", hnsw_index_open(native, NULL, &none));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "another", hnsw_index_view(native, other, NULL, &none));
    FAILS(HNSW_ERR_INVALID_ARGUMENT, "another", hnsw_index_load(native, other, NULL, &none));
    CHECK(none == NULL);
    OK(hnsw_index_view(native, named, NULL, &view));
    /* An unnamed space takes the file's name. */
    OK(hnsw_index_load(native, custom, NULL, &loaded));
    hnsw_space *space = NULL;
    OK(hnsw_index_space(loaded, &space));
    OK(hnsw_space_custom_name(space, &name));
    CHECK(name && !strcmp(name, "my-l2"));
    check_same_answers(index, view, data);
    check_same_answers(loaded, view, data);

    hnsw_space_free(space);
    hnsw_index_free(view);
    hnsw_index_free(loaded);
    hnsw_index_free(index);
    hnsw_space_free(custom);
    hnsw_space_free(named);
    hnsw_space_free(other);
    hnsw_space_free(l2);
    free(data);
}

/* A codes-only quantized index has no hnswlib file, but a native one, that opens with
 * its storage mode and views. */
static void test_quantized_native(void) {
    enum { QN = 1500 };
    float *data = random_matrix(QN, DIM, 8);
    hnsw_space *cosine = NULL;
    OK(hnsw_space_cosine(DIM, &cosine));
    hnsw_params p = hnsw_params_default();
    p.max_elements = QN;
    p.quantization = HNSW_QUANT_SQ8;
    p.keep_vectors = false;
    hnsw_index *index = NULL, *opened = NULL, *view = NULL;
    OK(hnsw_index_new(cosine, &p, &index));
    OK(hnsw_index_add_batch(index, data, QN, NULL, NULL));
    bool trained = false;
    OK(hnsw_index_is_trained(index, &trained));
    CHECK(trained);
    char path[512];
    scratch_path(path, sizeof path, "quantized.native");
    hnsw_save_options so = hnsw_save_options_default();
    FAILS(HNSW_ERR_STATE, "", hnsw_index_save_with(index, path, &so));
    so.format = HNSW_FORMAT_NATIVE;
    OK(hnsw_index_save_with(index, path, &so));
    OK(hnsw_index_open(path, NULL, &opened));
    OK(hnsw_index_open_view(path, NULL, &view));
    hnsw_index *both[2] = {opened, view};
    for (int i = 0; i < 2; i++) {
        hnsw_quantization q = HNSW_QUANT_NONE;
        bool keeps = true;
        OK(hnsw_index_quantization(both[i], &q));
        OK(hnsw_index_keeps_vectors(both[i], &keeps));
        CHECK(q == HNSW_QUANT_SQ8 && !keeps);
        check_same_settings(both[i], index, "cosine");
        for (size_t r = 0; r < 20; r++) {
            uint64_t la[10], lb[10];
            float da[10], db[10];
            OK(hnsw_index_knn(index, data + r * 53 * DIM, 10, NULL, la, da, 10, NULL));
            OK(hnsw_index_knn(both[i], data + r * 53 * DIM, 10, NULL, lb, db, 10, NULL));
            CHECK(!memcmp(la, lb, sizeof la) && !memcmp(da, db, sizeof da));
        }
    }
    hnsw_index_free(opened);
    hnsw_index_free(view);
    hnsw_index_free(index);
    hnsw_space_free(cosine);
    free(data);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <scratch dir> [fixtures dir]\n", argv[0]);
        return 2;
    }
    scratch = argv[1];
    RUN(test_formats_and_open);
    RUN(test_view);
    RUN(test_view_errors);
    RUN(test_custom_space_view);
    RUN(test_named_custom_space);
    RUN(test_quantized_native);
    return 0;
}
