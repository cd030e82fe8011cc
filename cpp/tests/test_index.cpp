// The C++ API: hnswlib::Space and hnswlib::Index.
#include "common.h"

#include <atomic>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

using namespace testutil;
using hnswlib::Index;
using hnswlib::IndexParams;
using hnswlib::SearchOptions;
using hnswlib::Space;

namespace {

struct UserError : std::runtime_error {
    UserError() : std::runtime_error("thrown by the user's callback") {}
};

Index filled_index(size_t n, size_t dim, unsigned seed, std::vector<float>* data_out = nullptr) {
    IndexParams p;
    p.max_elements = n;
    Index index(Space::l2(dim), p);
    std::vector<float> data = random_vectors(n, dim, seed);
    index.add_batch(data);
    if (data_out) *data_out = data;
    return index;
}

}  // namespace

TEST(Library, VersionAndSimdPath) {
    EXPECT_EQ(hnswlib::version(), hnsw_version());
    EXPECT_FALSE(hnswlib::version().empty());
    std::set<std::string> paths{"avx512", "avx2", "neon", "scalar"};
    EXPECT_TRUE(paths.count(hnswlib::simd_path())) << hnswlib::simd_path();
}

TEST(SpaceTest, BuiltInSpacesAndDistances) {
    Space l2 = Space::l2(2), ip = Space::ip(2), cos = Space::cosine(2), u8 = Space::l2_u8(3);
    EXPECT_EQ(l2.kind(), hnswlib::SpaceKind::L2);
    EXPECT_EQ(ip.kind(), hnswlib::SpaceKind::InnerProduct);
    EXPECT_EQ(cos.kind(), hnswlib::SpaceKind::Cosine);
    EXPECT_EQ(u8.kind(), hnswlib::SpaceKind::L2U8);
    EXPECT_EQ(l2.dim(), 2u);
    EXPECT_EQ(l2.element_size(), 8u);
    EXPECT_EQ(u8.dim(), 3u);
    EXPECT_EQ(u8.element_size(), 3u);
    EXPECT_FLOAT_EQ(l2.distance(std::vector<float>{0, 0}, std::vector<float>{3, 4}), 25.0f);
    EXPECT_FLOAT_EQ(ip.distance(std::vector<float>{1, 2}, std::vector<float>{3, 4}), 1.0f - 11.0f);
    EXPECT_NEAR(cos.distance(std::vector<float>{1, 0}, std::vector<float>{0, 1}), 1.0f, 1e-6);
    EXPECT_FLOAT_EQ(u8.distance(std::vector<uint8_t>{0, 10, 255}, std::vector<uint8_t>{3, 6, 0}), 9 + 16 + 65025);
    EXPECT_EQ(Space::by_name("ip", 5).kind(), hnswlib::SpaceKind::InnerProduct);
    EXPECT_EQ(Space::by_name("l2u8", 5).element_size(), 5u);
}

TEST(SpaceTest, BadInputThrows) {
    expect_throw_with<hnswlib::InvalidArgumentError>([] { Space::by_name("hamming", 4); }, "unknown space 'hamming'");
    Space l2 = Space::l2(3);
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [&] { l2.distance(std::vector<float>{1, 2}, std::vector<float>{1, 2, 3}); },
        "the index has dim 3, got 2 values");
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [&] { l2.distance(std::vector<uint8_t>{1, 2, 3}, std::vector<uint8_t>{1, 2, 3}); },
        "the space stores float vectors, got uint8_t");
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [] { Space::custom(4, std::function<float(const void*, const void*)>()); }, "distance function is empty");
    expect_throw_with<hnswlib::NullPointerError>([] { Space::custom(4, nullptr, nullptr); }, "distance");
}

TEST(SpaceTest, CustomStdFunctionDistance) {
    // L1 on 3 floats.
    Space l1 = Space::custom(3 * sizeof(float), [](const void* a, const void* b) {
        auto* x = static_cast<const float*>(a);
        auto* y = static_cast<const float*>(b);
        return std::fabs(x[0] - y[0]) + std::fabs(x[1] - y[1]) + std::fabs(x[2] - y[2]);
    });
    EXPECT_EQ(l1.kind(), hnswlib::SpaceKind::Custom);
    EXPECT_EQ(l1.element_size(), 12u);
    EXPECT_FLOAT_EQ(l1.distance(std::vector<float>{0, 0, 0}, std::vector<float>{1, -2, 3}), 6.0f);

    std::vector<float> data = random_vectors(300, 3, 5), queries = random_vectors(20, 3, 6);
    Index index(l1, IndexParams{300});
    index.add_batch(data);
    auto truth = exact_knn(l1, data, queries, 5);
    std::vector<std::vector<uint64_t>> found;
    for (size_t q = 0; q < 20; ++q) {
        std::vector<float> query(queries.begin() + q * 3, queries.begin() + q * 3 + 3);
        found.push_back(labels_of(index.search(query, 5, SearchOptions{100})));
    }
    EXPECT_GE(recall(found, truth), 0.95);
}

TEST(SpaceTest, CustomDistanceExceptionIsRethrown) {
    std::atomic<int> calls{0};
    std::atomic<bool> fail{false};
    Space s = Space::custom(sizeof(float), [&](const void* a, const void* b) {
        ++calls;
        if (fail) throw UserError();
        return std::fabs(*static_cast<const float*>(a) - *static_cast<const float*>(b));
    });
    Index index(s, IndexParams{100});
    for (int i = 0; i < 50; ++i) index.add(std::vector<float>{float(i)}, i);
    EXPECT_GT(calls.load(), 0);
    fail = true;
    EXPECT_THROW(index.search(std::vector<float>{3.0f}, 3), UserError);
    EXPECT_THROW(index.add(std::vector<float>{99.0f}, 99), UserError);
    fail = false;
    // The index stays usable, and the exception is not thrown twice.
    auto r = index.search(std::vector<float>{7.2f}, 1, SearchOptions{50});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].label, 7u);
}

TEST(SpaceTest, CustomCFunctionDistance) {
    struct Param {
        size_t dim;
    } param{2};
    hnsw_distance_fn manhattan = [](const void* a, const void* b, const void* p) -> float {
        auto* x = static_cast<const float*>(a);
        auto* y = static_cast<const float*>(b);
        size_t dim = static_cast<const Param*>(p)->dim;
        float s = 0;
        for (size_t i = 0; i < dim; ++i) s += std::fabs(x[i] - y[i]);
        return s;
    };
    Space s = Space::custom(2 * sizeof(float), manhattan, &param);
    EXPECT_FLOAT_EQ(s.distance(std::vector<float>{1, 1}, std::vector<float>{0, 3}), 3.0f);
    Index index(s, IndexParams{10});
    index.add(std::vector<float>{0, 0}, 1);
    index.add(std::vector<float>{5, 5}, 2);
    auto r = index.search(std::vector<float>{4, 4}, 2);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].label, 2u);
    EXPECT_FLOAT_EQ(r[0].distance, 2.0f);
    EXPECT_FLOAT_EQ(r[1].distance, 8.0f);
}

TEST(IndexTest, ParametersAndDefaults) {
    IndexParams p;
    EXPECT_EQ(p.M, 16u);
    EXPECT_EQ(p.ef_construction, 200u);
    EXPECT_EQ(p.random_seed, 100u);
    p.max_elements = 123;
    p.M = 8;
    p.ef_construction = 50;
    p.allow_replace_deleted = true;
    Index index(Space::ip(7), p);
    EXPECT_TRUE(static_cast<bool>(index));
    EXPECT_EQ(index.max_elements(), 123u);
    EXPECT_EQ(index.M(), 8u);
    EXPECT_EQ(index.ef_construction(), 50u);
    EXPECT_TRUE(index.allow_replace_deleted());
    EXPECT_EQ(index.dim(), 7u);
    EXPECT_EQ(index.size(), 0u);
    EXPECT_EQ(index.ef(), 10u);
    index.set_ef(77);
    EXPECT_EQ(index.ef(), 77u);
    EXPECT_EQ(index.space().kind(), hnswlib::SpaceKind::InnerProduct);
}

TEST(IndexTest, BadParametersThrow) {
    IndexParams p;
    p.max_elements = 10;
    p.M = 16;
    p.ef_construction = 8;
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index x(Space::l2(4), p); }, "ef_construction");
    p.ef_construction = 200;
    p.M = 1;
    EXPECT_THROW(Index x(Space::l2(4), p), hnswlib::InvalidArgumentError);
}

TEST(IndexTest, ExactOnSmallDataClosestFirst) {
    Index index(Space::l2(2), IndexParams{10});
    index.add(std::vector<float>{0, 0}, 10);
    index.add(std::vector<float>{1, 0}, 11);
    index.add(std::vector<float>{3, 0}, 12);
    auto r = index.search(std::vector<float>{0.9f, 0}, 3);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(labels_of(r), (std::vector<uint64_t>{11, 10, 12}));
    EXPECT_NEAR(r[0].distance, 0.01f, 1e-6);
    EXPECT_NEAR(r[1].distance, 0.81f, 1e-6);
    EXPECT_NEAR(r[2].distance, 4.41f, 1e-5);
    // More than the element count: fewer results.
    EXPECT_EQ(index.search(std::vector<float>{0, 0}, 10).size(), 3u);
    // Raw pointer overloads.
    float q[2] = {3, 0};
    EXPECT_EQ(index.search(q, 1)[0].label, 12u);
    uint64_t labels[2];
    float distances[2];
    EXPECT_EQ(index.search_into(q, 2, {}, labels, distances), 2u);
    EXPECT_EQ(labels[1], 11u);
    EXPECT_FLOAT_EQ(distances[1], 4.0f);
}

TEST(IndexTest, EmptyIndexAndBadSearchInput) {
    Index index(Space::l2(3), IndexParams{10});
    EXPECT_TRUE(index.search(std::vector<float>{1, 2, 3}, 5).empty());
    index.add(std::vector<float>{1, 2, 3}, 1);
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.search(std::vector<float>{1, 2, 3}, 0); }, "k");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.search(std::vector<float>{1, 2}, 1); },
                                                     "the index has dim 3, got 2");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.search(std::vector<double>{1, 2, 3}, 1); },
                                                     "got double");
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [&] { index.add(std::vector<float>{1, NAN, 3}, 2); }, "NaN or infinity");
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [&] { index.search(std::vector<float>{INFINITY, 0, 0}, 1); }, "NaN or infinity");
}

TEST(IndexTest, BatchAddAutomaticAndExplicitLabels) {
    const size_t dim = 8;
    Index index(Space::l2(dim), IndexParams{100});
    std::vector<float> a = random_vectors(10, dim, 1), b = random_vectors(5, dim, 2);
    index.add_batch(a);  // labels 0..9
    std::vector<uint64_t> lb{100, 101, 102, 103, 104};
    index.add_batch(b, lb);
    EXPECT_EQ(index.size(), 15u);
    std::vector<uint64_t> expect_ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102, 103, 104};
    EXPECT_EQ(index.ids(), expect_ids);
    EXPECT_TRUE(index.contains(103));
    EXPECT_FALSE(index.contains(10));
    EXPECT_EQ(index.get_item<float>(102), std::vector<float>(b.begin() + 2 * dim, b.begin() + 3 * dim));
    auto two = index.get_items<float>({3, 104});
    EXPECT_EQ(std::vector<float>(two.begin(), two.begin() + dim), std::vector<float>(a.begin() + 3 * dim, a.begin() + 4 * dim));
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.add_batch(b, {1, 2}); }, "2 labels for 5 rows");
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [&] { index.add_batch(std::vector<float>(dim + 1, 0.0f)); }, "not a non-zero multiple");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.add_batch(std::vector<float>{}); },
                                                     "not a non-zero multiple");
    expect_throw_with<hnswlib::LabelNotFoundError>([&] { index.get_item<float>(55); }, "Label not found");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.get_item<uint8_t>(1); }, "got uint8_t");
}

TEST(IndexTest, CapacityAndResize) {
    Index index(Space::l2(2), IndexParams{2});
    index.add(std::vector<float>{0, 0}, 0);
    index.add(std::vector<float>{1, 1}, 1);
    expect_throw_with<hnswlib::CapacityError>([&] { index.add(std::vector<float>{2, 2}, 2); },
                                              "The number of elements exceeds the specified limit");
    // A batch that does not fit adds nothing.
    EXPECT_THROW(index.add_batch(random_vectors(3, 2, 1), {5, 6, 7}), hnswlib::CapacityError);
    EXPECT_EQ(index.size(), 2u);
    index.resize(10);
    EXPECT_EQ(index.max_elements(), 10u);
    index.add(std::vector<float>{2, 2}, 2);
    EXPECT_EQ(index.size(), 3u);
    expect_throw_with<hnswlib::StateError>([&] { index.resize(1); }, "Cannot resize");
}

TEST(IndexTest, DeleteUnmarkAndReplace) {
    std::vector<float> data;
    Index index = filled_index(100, 4, 3, &data);
    EXPECT_FALSE(index.is_deleted(5));
    index.mark_deleted(5);
    EXPECT_TRUE(index.is_deleted(5));
    EXPECT_EQ(index.deleted_count(), 1u);
    std::vector<float> q5(data.begin() + 20, data.begin() + 24);
    for (const auto& nb : index.search(q5, 10)) EXPECT_NE(nb.label, 5u);
    expect_throw_with<hnswlib::StateError>([&] { index.mark_deleted(5); }, "already deleted");
    expect_throw_with<hnswlib::LabelNotFoundError>([&] { index.mark_deleted(1000); }, "Label not found");
    expect_throw_with<hnswlib::LabelNotFoundError>([&] { index.is_deleted(1000); }, "Label not found");
    EXPECT_THROW(index.get_item<float>(5), hnswlib::LabelNotFoundError);
    index.unmark_deleted(5);
    EXPECT_EQ(index.search(q5, 1)[0].label, 5u);
    expect_throw_with<hnswlib::StateError>([&] { index.unmark_deleted(5); }, "not deleted");
    // This index does not allow replacing deleted elements.
    index.mark_deleted(6);
    expect_throw_with<hnswlib::StateError>([&] { index.add(q5, 500, true); },
                                           "Replacement of deleted elements is disabled in constructor");
    // One that does: the new label takes the deleted slot, the count stays.
    IndexParams p;
    p.max_elements = 3;
    p.allow_replace_deleted = true;
    Index r(Space::l2(2), p);
    r.add_batch(std::vector<float>{0, 0, 1, 1, 2, 2});
    r.mark_deleted(1);
    r.add(std::vector<float>{9, 9}, 7, true);
    EXPECT_EQ(r.size(), 3u);
    EXPECT_FALSE(r.contains(1));
    EXPECT_EQ(r.search(std::vector<float>{9, 9}, 1)[0].label, 7u);
    hnswlib::AddOptions o;
    o.replace_deleted = true;
    r.mark_deleted(0);
    r.add_batch(std::vector<float>{5, 5}, {8}, o);
    EXPECT_EQ(r.ids(), (std::vector<uint64_t>{2, 7, 8}));
    // Through deletes and replacements the graph stays sound: 100 elements, M 16.
    EXPECT_GT(index.check_integrity(), 500u);
    EXPECT_GT(r.check_integrity(), 0u);
}

TEST(IndexTest, UpdateExistingLabel) {
    Index index(Space::l2(2), IndexParams{10});
    index.add(std::vector<float>{0, 0}, 1);
    index.add(std::vector<float>{5, 5}, 2);
    index.add(std::vector<float>{6, 6}, 1);  // update
    EXPECT_EQ(index.size(), 2u);
    EXPECT_EQ(index.get_item<float>(1), (std::vector<float>{6, 6}));
    EXPECT_EQ(index.search(std::vector<float>{6.1f, 6.1f}, 1)[0].label, 1u);
}

TEST(IndexTest, FilterAndPerCallEf) {
    std::vector<float> data;
    Index index = filled_index(500, 8, 4, &data);
    std::vector<float> q(data.begin(), data.begin() + 8);
    SearchOptions even;
    even.filter = [](uint64_t l) { return l % 2 == 0; };
    auto r = index.search(q, 10, even);
    ASSERT_EQ(r.size(), 10u);
    for (const auto& nb : r) EXPECT_EQ(nb.label % 2, 0u);
    SearchOptions none;
    none.filter = [](uint64_t) { return false; };
    EXPECT_TRUE(index.search(q, 10, none).empty());

    // A larger per-call ef does more work; the index's ef is unchanged.
    index.reset_metrics();
    index.search(q, 1, SearchOptions{10});
    auto small = index.metrics().distance_computations;
    index.reset_metrics();
    index.search(q, 1, SearchOptions{300});
    auto large = index.metrics().distance_computations;
    EXPECT_GT(large, small);
    EXPECT_GT(index.metrics().hops, 0u);
    EXPECT_EQ(index.ef(), 10u);
}

TEST(IndexTest, FilterExceptionIsRethrown) {
    Index index = filled_index(200, 4, 5);
    SearchOptions bad;
    bad.filter = [](uint64_t l) -> bool {
        if (l == 7) throw UserError();
        return true;
    };
    std::vector<float> q(4, 0.5f);
    EXPECT_THROW(index.search(q, 200, bad), UserError);
    try {
        index.search_batch(random_vectors(20, 4, 1), 200, bad);
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "thrown by the user's callback");
    }
    EXPECT_EQ(index.search(q, 200).size(), 200u);
}

TEST(IndexTest, BatchSearchMatchesSingle) {
    std::vector<float> data;
    Index index = filled_index(1000, 16, 6, &data);
    std::vector<float> queries = random_vectors(50, 16, 7);
    SearchOptions o;
    o.ef = 50;
    o.num_threads = 2;
    auto batch = index.search_batch(queries, 5, o);
    ASSERT_EQ(batch.size(), 50u);
    for (size_t i = 0; i < 50; ++i) {
        std::vector<float> q(queries.begin() + i * 16, queries.begin() + (i + 1) * 16);
        EXPECT_EQ(batch[i], index.search(q, 5, o));
    }
    auto truth = exact_knn(Space::l2(16), data, queries, 5);
    std::vector<std::vector<uint64_t>> found;
    for (const auto& row : batch) found.push_back(labels_of(row));
    EXPECT_GE(recall(found, truth), 0.9);
    EXPECT_THROW(index.search_batch(std::vector<float>(17, 0.0f), 5), hnswlib::InvalidArgumentError);
}

TEST(IndexTest, ProgressAndCancel) {
    const size_t n = 2000, dim = 4;
    std::vector<float> data = random_vectors(n, dim, 8);
    Index index(Space::l2(dim), IndexParams{n});
    std::atomic<size_t> calls{0}, last_total{0};
    hnswlib::AddOptions o;
    o.progress = [&](size_t done, size_t total) {
        ++calls;
        last_total = total;
        EXPECT_LE(done, total);
        return true;
    };
    index.add_batch(data, {}, o);
    EXPECT_GT(calls.load(), 0u);
    EXPECT_EQ(last_total.load(), n);

    Index cancelled(Space::l2(dim), IndexParams{n});
    o.progress = [](size_t done, size_t) { return done < 100; };
    expect_throw_with<hnswlib::CancelledError>([&] { cancelled.add_batch(data, {}, o); }, "Cancelled after");
    size_t kept = cancelled.size();
    EXPECT_GE(kept, 1u);
    EXPECT_LT(kept, n);
    // Still a valid index: its elements are found.
    for (uint64_t l : cancelled.ids()) {
        auto v = cancelled.get_item<float>(l);
        EXPECT_EQ(cancelled.search(v, 1, SearchOptions{50})[0].distance, 0.0f);
    }

    Index thrown(Space::l2(dim), IndexParams{n});
    o.progress = [](size_t done, size_t) -> bool {
        if (done >= 50) throw UserError();
        return true;
    };
    EXPECT_THROW(thrown.add_batch(data, {}, o), UserError);
    EXPECT_LT(thrown.size(), n);
}

TEST(IndexTest, SaveLoadAndSerialize) {
    std::vector<float> data;
    Index index = filled_index(300, 8, 9, &data);
    index.mark_deleted(3);
    std::vector<float> queries = random_vectors(10, 8, 10);
    auto before = index.search_batch(queries, 5, SearchOptions{50});

    TempPath path("index.bin");
    index.save(path.str());
    Index loaded = Index::load(path.str(), Space::l2(8));
    EXPECT_EQ(loaded.size(), 300u);
    EXPECT_EQ(loaded.deleted_count(), 1u);
    EXPECT_EQ(loaded.search_batch(queries, 5, SearchOptions{50}), before);
    EXPECT_EQ(index.serialized_size(), index.to_bytes().size());

    hnswlib::Buffer buf = index.serialize();
    EXPECT_EQ(buf.size(), index.serialized_size());
    Index from = Index::from_bytes(buf.data(), buf.size(), Space::l2(8));
    EXPECT_EQ(from.search_batch(queries, 5, SearchOptions{50}), before);
    hnswlib::LoadOptions lo;
    lo.max_elements = 1000;
    lo.allow_replace_deleted = true;
    Index bigger = Index::from_bytes(index.to_bytes(), Space::l2(8), lo);
    EXPECT_EQ(bigger.max_elements(), 1000u);
    EXPECT_TRUE(bigger.allow_replace_deleted());
    bigger.add(std::vector<float>(8, 0.0f), 5000, true);
    EXPECT_EQ(bigger.size(), 300u);
}

TEST(IndexTest, UnsyncedSaveWritesTheSameFile) {
    Index index = filled_index(120, 8, 12);
    TempPath path("unsynced.bin");
    hnswlib::SaveOptions no_sync;
    no_sync.sync = false;
    index.save(path.str(), no_sync);
    std::ifstream in(path.str(), std::ios::binary);
    std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(file, index.to_bytes());
    EXPECT_THROW(index.save("/nonexistent-dir/x/index.bin", no_sync), hnswlib::IoError);
}

TEST(IndexTest, BadFilesAndBytesThrow) {
    Index index = filled_index(50, 8, 11);
    TempPath path("index.bin");
    index.save(path.str());
    expect_throw_with<hnswlib::FormatError>([&] { Index::load(path.str(), Space::l2(4)); }, "");
    expect_throw_with<hnswlib::IoError>([&] { Index::load(path.str() + ".missing", Space::l2(8)); }, "missing");
    auto bytes = index.to_bytes();
    bytes.resize(bytes.size() / 2);
    EXPECT_THROW(Index::from_bytes(bytes, Space::l2(8)), hnswlib::FormatError);
    std::vector<uint8_t> junk(100, 0xff);
    EXPECT_THROW(Index::from_bytes(junk, Space::l2(8)), hnswlib::FormatError);
    EXPECT_THROW(index.save("/nonexistent-dir/x/index.bin"), hnswlib::IoError);
    try {
        Index::from_bytes(junk, Space::l2(8));
    } catch (const hnswlib::Error& e) {
        EXPECT_EQ(e.status(), HNSW_ERR_FORMAT);
        EXPECT_STREQ(e.status_name(), "HNSW_ERR_FORMAT");
        EXPECT_FALSE(std::string(e.what()).empty());
    }
}

TEST(IndexTest, MovedFromAndEmptyObjectsThrow) {
    Index a = filled_index(10, 2, 12);
    Index b = std::move(a);
    EXPECT_FALSE(static_cast<bool>(a));
    EXPECT_EQ(b.size(), 10u);
    EXPECT_THROW(a.size(), hnswlib::NullPointerError);
    EXPECT_THROW(a.search(std::vector<float>{0, 0}, 1), std::runtime_error);
    Index empty;
    EXPECT_THROW(empty.add(static_cast<const void*>(nullptr), 1), hnswlib::NullPointerError);
    a = std::move(b);
    EXPECT_EQ(a.size(), 10u);
}

TEST(IndexTest, NullBuffersThrow) {
    Index index = filled_index(10, 2, 13);
    EXPECT_THROW(index.add(static_cast<const void*>(nullptr), 1), hnswlib::NullPointerError);
    EXPECT_THROW(index.search(static_cast<const void*>(nullptr), 1), hnswlib::NullPointerError);
    EXPECT_THROW(index.add_batch(nullptr, 2, nullptr), hnswlib::NullPointerError);
}

TEST(IndexTest, CosineAndU8Spaces) {
    Index cos(Space::cosine(2), IndexParams{10});
    cos.add(std::vector<float>{3, 4}, 1);
    auto v = cos.get_item<float>(1);
    EXPECT_NEAR(v[0], 0.6f, 1e-6);
    EXPECT_NEAR(v[1], 0.8f, 1e-6);
    EXPECT_NEAR(cos.search(std::vector<float>{6, 8}, 1)[0].distance, 0.0f, 1e-6);

    Index u8(Space::l2_u8(4), IndexParams{10});
    u8.add(std::vector<uint8_t>{0, 0, 0, 0}, 1);
    u8.add(std::vector<uint8_t>{255, 255, 255, 255}, 2);
    auto r = u8.search(std::vector<uint8_t>{250, 250, 250, 250}, 2);
    EXPECT_EQ(r[0].label, 2u);
    EXPECT_EQ(r[0].distance, 100.0f);
    EXPECT_EQ(r[1].distance, 4.0f * 250 * 250);
    EXPECT_EQ(u8.get_item<uint8_t>(2), (std::vector<uint8_t>{255, 255, 255, 255}));
    EXPECT_THROW(u8.add(std::vector<float>{1, 2, 3, 4}, 3), hnswlib::InvalidArgumentError);
}

TEST(IndexTest, SearchWhileAddingFromThreads) {
    const size_t dim = 8, n = 4000;
    std::vector<float> data = random_vectors(n, dim, 14);
    Index index(Space::l2(dim), IndexParams{n});
    index.add_batch(std::vector<float>(data.begin(), data.begin() + 100 * dim));
    std::atomic<size_t> next{100};
    std::atomic<size_t> searches{0};
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&] {
            for (size_t i; (i = next.fetch_add(1)) < n;) index.add(data.data() + i * dim, i);
        });
    }
    threads.emplace_back([&] {
        while (!done) {
            // While elements are being linked a search may see fewer than k (as in
            // hnswlib, whose searches also read lists that inserts are still writing).
            auto r = index.search(data.data(), 5);
            EXPECT_GE(r.size(), 1u);
            EXPECT_LE(r.size(), 5u);
            for (size_t i = 0; i < r.size(); ++i) {
                EXPECT_LT(r[i].label, n);
                if (i > 0) {
                    EXPECT_GE(r[i].distance, r[i - 1].distance);
                }
            }
            ++searches;
        }
    });
    for (int t = 0; t < 2; ++t) threads[t].join();
    done = true;
    threads[2].join();
    EXPECT_EQ(index.size(), n);
    EXPECT_GT(searches.load(), 0u);
    EXPECT_EQ(index.search(data.data() + 3000 * dim, 1, SearchOptions{50})[0].label, 3000u);
    EXPECT_EQ(index.search(data.data(), 5).size(), 5u);
}
