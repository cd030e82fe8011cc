// hnswlib's C++ API (hnswlib/hnswlib.h): spaces, HierarchicalNSW, BruteforceSearch,
// AlgorithmInterface, filters, fields, errors.
#include "common.h"

#include <memory>

using namespace testutil;

namespace {

// A user space as hnswlib users write them: L1 on `dim` floats with the dim as parameter.
float l1_distance(const void* a, const void* b, const void* param) {
    size_t dim = *static_cast<const size_t*>(param);
    auto* x = static_cast<const float*>(a);
    auto* y = static_cast<const float*>(b);
    float s = 0;
    for (size_t i = 0; i < dim; ++i) s += std::fabs(x[i] - y[i]);
    return s;
}

class L1Space : public hnswlib::SpaceInterface<float> {
    size_t dim_;

 public:
    explicit L1Space(size_t dim) : dim_(dim) {}
    size_t get_data_size() { return dim_ * sizeof(float); }
    hnswlib::DISTFUNC<float> get_dist_func() { return l1_distance; }
    void* get_dist_func_param() { return &dim_; }
};

// An int space: Hamming distance on `bytes` bytes.
int hamming(const void* a, const void* b, const void* param) {
    size_t n = *static_cast<const size_t*>(param);
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    int d = 0;
    for (size_t i = 0; i < n; ++i) d += __builtin_popcount(x[i] ^ y[i]);
    return d;
}

class HammingSpace : public hnswlib::SpaceInterface<int> {
    size_t bytes_;

 public:
    explicit HammingSpace(size_t bytes) : bytes_(bytes) {}
    size_t get_data_size() { return bytes_; }
    hnswlib::DISTFUNC<int> get_dist_func() { return hamming; }
    void* get_dist_func_param() { return &bytes_; }
};

// hnswlib's filter style: non-const operator(), no override keyword.
class PickDivisible : public hnswlib::BaseFilterFunctor {
    unsigned divisor_;

 public:
    size_t calls = 0;
    explicit PickDivisible(unsigned divisor) : divisor_(divisor) {}
    bool operator()(hnswlib::labeltype label) {
        ++calls;
        return label % divisor_ == 0;
    }
};

class ThrowingFilter : public hnswlib::BaseFilterFunctor {
 public:
    bool operator()(hnswlib::labeltype) { throw std::runtime_error("filter failed"); }
};

std::vector<std::pair<float, hnswlib::labeltype>> drain(std::priority_queue<std::pair<float, hnswlib::labeltype>> q) {
    std::vector<std::pair<float, hnswlib::labeltype>> v;
    for (; !q.empty(); q.pop()) v.push_back(q.top());
    return v;
}

}  // namespace

TEST(CompatSpaces, BuiltInSpacesLikeHnswlib) {
    hnswlib::L2Space l2(4);
    EXPECT_EQ(l2.get_data_size(), 16u);
    EXPECT_EQ(*static_cast<size_t*>(l2.get_dist_func_param()), 4u);
    float a[4] = {0, 0, 0, 0}, b[4] = {1, 2, 3, 4};
    EXPECT_FLOAT_EQ(l2.get_dist_func()(a, b, l2.get_dist_func_param()), 30.0f);

    hnswlib::InnerProductSpace ip(4);
    EXPECT_FLOAT_EQ(ip.get_dist_func()(b, b, ip.get_dist_func_param()), 1.0f - 30.0f);

    hnswlib::L2SpaceI l2i(3);
    EXPECT_EQ(l2i.get_data_size(), 3u);
    unsigned char x[3] = {0, 0, 255}, y[3] = {1, 2, 0};
    int d = l2i.get_dist_func()(x, y, l2i.get_dist_func_param());
    EXPECT_EQ(d, 1 + 4 + 65025);

    // Through the interface pointer, as generic code uses a space.
    std::unique_ptr<hnswlib::SpaceInterface<float>> s(new hnswlib::L2Space(2));
    EXPECT_EQ(s->get_data_size(), 8u);
}

TEST(CompatHnsw, ConstructorDefaultsAndFields) {
    hnswlib::L2Space space(8);
    hnswlib::HierarchicalNSW<float> index(&space, 100);
    EXPECT_EQ(index.M_, 16u);
    EXPECT_EQ(index.maxM0_, 32u);
    EXPECT_EQ(index.ef_construction_, 200u);
    EXPECT_EQ(index.ef_, 10u);
    EXPECT_EQ(index.max_elements_, 100u);
    EXPECT_EQ(index.data_size_, 32u);
    EXPECT_FALSE(index.allow_replace_deleted_);
    EXPECT_EQ(index.cur_element_count, 0);
    EXPECT_TRUE(index.label_lookup_.empty());
    float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    index.addPoint(v, 42);
    EXPECT_TRUE(index.label_lookup_.find(42) != index.label_lookup_.end());
    EXPECT_EQ(index.label_lookup_.find(42)->first, 42u);
    EXPECT_TRUE(index.label_lookup_.find(43) == index.label_lookup_.end());
    EXPECT_EQ(index.label_lookup_.count(42), 1u);
    EXPECT_EQ(index.label_lookup_.size(), 1u);
    EXPECT_EQ(index.getMaxElements(), 100u);
    index.ef_ = 42;  // assigning the field sets ef, as in hnswlib
    EXPECT_EQ(index.index().ef(), 42u);
    index.setEf(50);
    size_t ef = index.ef_;
    EXPECT_EQ(ef, 50u);

    // hnswlib raises ef_construction to M, and caps M at 10000 with a warning.
    hnswlib::HierarchicalNSW<float> small_efc(&space, 10, 32, 5);
    EXPECT_EQ(small_efc.ef_construction_, 32u);
    hnswlib::HierarchicalNSW<float> huge_m(&space, 2, 20000, 10, 100, true);
    EXPECT_EQ(huge_m.M_, 10000u);
    EXPECT_TRUE(huge_m.allow_replace_deleted_);
}

TEST(CompatHnsw, SearchKnnFarthestOnTopAndCloserFirst) {
    const size_t dim = 16, n = 1000;
    std::vector<float> data = random_vectors(n, dim, 21);
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> index(&space, n, 16, 100);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * dim, i);
    EXPECT_EQ(index.cur_element_count, n);
    EXPECT_EQ(index.getCurrentElementCount(), n);
    index.setEf(50);

    const float* q = data.data() + 17 * dim;
    auto queue = index.searchKnn(q, 10);
    ASSERT_EQ(queue.size(), 10u);
    auto farthest_first = drain(queue);
    for (size_t i = 1; i < farthest_first.size(); ++i) EXPECT_GE(farthest_first[i - 1].first, farthest_first[i].first);
    EXPECT_EQ(farthest_first.back().second, 17u);
    EXPECT_EQ(farthest_first.back().first, 0.0f);

    auto closer = index.searchKnnCloserFirst(q, 10);
    ASSERT_EQ(closer.size(), 10u);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(closer[i], farthest_first[9 - i]);

    // Same answers as the C++ API underneath.
    auto modern = index.index().search(q, 10);
    for (size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(closer[i].second, modern[i].label);
        EXPECT_EQ(closer[i].first, modern[i].distance);
    }
    // The hnswlib API over an index made with the C++ API.
    hnswlib::Index built(hnswlib::Space::l2(dim), hnswlib::IndexParams(n));
    built.add_batch(data);
    hnswlib::HierarchicalNSW<float> adopted(std::move(built));
    EXPECT_EQ(adopted.cur_element_count, n);
    EXPECT_EQ(adopted.searchKnn(q, 1).top().second, 17u);
    // Per-call ef overloads; hnswlib's k == 0 gives an empty result.
    EXPECT_EQ(index.searchKnn(q, 3, nullptr, 200).size(), 3u);
    EXPECT_EQ(index.searchKnnCloserFirst(q, 3, nullptr, 200).front().second, 17u);
    EXPECT_TRUE(index.searchKnn(q, 0).empty());
    // More than the count: all of them.
    EXPECT_EQ(index.searchKnn(q, 5000).size(), n);
}

TEST(CompatHnsw, FilterFunctor) {
    const size_t dim = 8, n = 500;
    std::vector<float> data = random_vectors(n, dim, 22);
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * dim, i);
    PickDivisible three(3);
    for (size_t i = 0; i < 20; ++i) {
        auto r = index.searchKnnCloserFirst(data.data() + i * dim, 10, &three);
        ASSERT_EQ(r.size(), 10u);
        for (const auto& p : r) EXPECT_EQ(p.second % 3, 0u);
        if (i % 3 == 0) {
            EXPECT_EQ(r[0].second, i);
        }
    }
    EXPECT_GT(three.calls, 0u);
    auto q = index.searchKnn(data.data(), 5, &three);
    EXPECT_EQ(q.size(), 5u);
    ThrowingFilter bad;
    expect_throw_with<std::runtime_error>([&] { index.searchKnn(data.data(), 5, &bad); }, "filter failed");
    // A default BaseFilterFunctor accepts everything.
    hnswlib::BaseFilterFunctor all;
    EXPECT_EQ(index.searchKnn(data.data(), 5, &all).size(), 5u);
}

TEST(CompatHnsw, DeleteUnmarkResizeAndMessages) {
    const size_t dim = 4, n = 50;
    std::vector<float> data = random_vectors(n, dim, 23);
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * dim, i);
    index.markDelete(7);
    EXPECT_EQ(index.getDeletedCount(), 1u);
    EXPECT_EQ(index.num_deleted_, 1u);
    for (const auto& p : drain(index.searchKnn(data.data() + 7 * dim, 10))) EXPECT_NE(p.second, 7u);
    expect_throw_with<std::runtime_error>([&] { index.markDelete(7); },
                                          "The requested to delete element is already deleted");
    expect_throw_with<std::runtime_error>([&] { index.markDelete(12345); }, "Label not found");
    expect_throw_with<std::runtime_error>([&] { index.getDataByLabel<float>(7); }, "Label not found");
    index.unmarkDelete(7);
    expect_throw_with<std::runtime_error>([&] { index.unmarkDelete(7); },
                                          "The requested to undelete element is not deleted");
    EXPECT_EQ(index.getDataByLabel<float>(7), std::vector<float>(data.begin() + 7 * dim, data.begin() + 8 * dim));

    expect_throw_with<std::runtime_error>([&] { index.addPoint(data.data(), 1000); },
                                          "The number of elements exceeds the specified limit");
    expect_throw_with<std::runtime_error>([&] { index.addPoint(data.data(), 1000, true); },
                                          "Replacement of deleted elements is disabled in constructor");
    index.resizeIndex(2 * n);
    EXPECT_EQ(index.getMaxElements(), 2 * n);
    index.addPoint(data.data(), 1000);
    expect_throw_with<std::runtime_error>([&] { index.resizeIndex(3); }, "Cannot resize");
    EXPECT_EQ(index.indexFileSize(), index.index().to_bytes().size());
}

TEST(CompatHnsw, ReplaceDeleted) {
    const size_t dim = 4, n = 100;
    std::vector<float> data = random_vectors(2 * n, dim, 24);
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> index(&space, n, 16, 200, 100, true);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * dim, i);
    for (size_t i = 0; i < n / 2; ++i) index.markDelete(i);
    for (size_t i = 0; i < n / 2; ++i) index.addPoint(data.data() + (n + i) * dim, n + i, true);
    EXPECT_EQ(index.getCurrentElementCount(), n);
    EXPECT_EQ(index.getDeletedCount(), 0u);
    EXPECT_EQ(index.searchKnn(data.data() + (n + 3) * dim, 1).top().second, n + 3);
    // hnswlib's message for updating a deleted label while replacement is enabled.
    index.markDelete(n + 3);
    expect_throw_with<std::runtime_error>([&] { index.addPoint(data.data(), n + 3); }, "Can't use addPoint");
    // hnswlib's tests call checkIntegrity after replacements; it prints what hnswlib prints.
    testing::internal::CaptureStdout();
    index.checkIntegrity();
    std::string printed = testing::internal::GetCapturedStdout();
    EXPECT_EQ(printed.rfind("integrity ok, checked ", 0), 0u) << printed;
}

TEST(CompatHnsw, SaveLoadConstructorsAndLoadIndex) {
    const size_t dim = 8, n = 300;
    std::vector<float> data = random_vectors(n, dim, 25);
    hnswlib::L2Space space(dim);
    auto* index = new hnswlib::HierarchicalNSW<float>(&space, n);
    for (size_t i = 0; i < n; ++i) index->addPoint(data.data() + i * dim, i);
    TempPath path("hnsw.bin");
    index->saveIndex(path.str());
    auto expected = index->searchKnnCloserFirst(data.data(), 5);
    delete index;

    hnswlib::HierarchicalNSW<float> loaded(&space, path.str());
    EXPECT_EQ(loaded.searchKnnCloserFirst(data.data(), 5), expected);
    EXPECT_EQ(loaded.getMaxElements(), n);

    hnswlib::HierarchicalNSW<float> bigger(&space, path.str(), false, 2 * n, true);
    EXPECT_EQ(bigger.getMaxElements(), 2 * n);
    EXPECT_TRUE(bigger.allow_replace_deleted_);

    hnswlib::HierarchicalNSW<float> empty(&space);
    expect_throw_with<std::runtime_error>([&] { empty.searchKnn(data.data(), 1); }, "");
    expect_throw_with<std::runtime_error>([&] { empty.addPoint(data.data(), 1); }, "");
    empty.loadIndex(path.str(), &space);
    EXPECT_EQ(empty.searchKnnCloserFirst(data.data(), 5), expected);
    empty.clear();
    EXPECT_THROW(empty.getCurrentElementCount(), std::runtime_error);

    // A file of another dimension, a missing file.
    hnswlib::L2Space other(4);
    expect_throw_with<std::runtime_error>([&] { hnswlib::HierarchicalNSW<float> h(&other, path.str()); }, "");
    expect_throw_with<std::runtime_error>(
        [&] { hnswlib::HierarchicalNSW<float> h(&space, path.str() + ".missing"); }, ".missing");
}

TEST(CompatHnsw, MetricsFields) {
    const size_t dim = 8, n = 500;
    std::vector<float> data = random_vectors(n, dim, 26);
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * dim, i);
    index.metric_hops = 0;
    index.metric_distance_computations = 0;
    EXPECT_EQ(index.metric_hops, 0);
    for (size_t i = 0; i < 10; ++i) index.searchKnn(data.data() + i * dim, 5);
    long hops = index.metric_hops;
    long dists = index.metric_distance_computations.load();
    EXPECT_GT(hops, 0);
    EXPECT_GT(dists, hops);
    float per_query = index.metric_distance_computations / (1.0f * 10);
    EXPECT_GT(per_query, 0.0f);
    index.metric_hops = 0;
    EXPECT_EQ(index.metric_hops, 0);
    EXPECT_EQ(index.metric_distance_computations, dists);  // the other counter keeps counting
}

TEST(CompatHnsw, IntIndexWithL2SpaceI) {
    const size_t dim = 16, n = 300;
    std::mt19937 rng(27);
    std::vector<unsigned char> data(n * dim);
    for (auto& x : data) x = static_cast<unsigned char>(rng() % 256);
    hnswlib::L2SpaceI space(dim);
    hnswlib::HierarchicalNSW<int> index(&space, n, 16, 40);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * dim, i);
    index.setEf(100);
    auto r = index.searchKnnCloserFirst(data.data() + 5 * dim, 3);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0], (std::pair<int, hnswlib::labeltype>(0, 5)));
    // Distances are exact integers, as hnswlib's.
    auto dist = space.get_dist_func();
    for (const auto& p : r) EXPECT_EQ(p.first, dist(data.data() + 5 * dim, data.data() + p.second * dim, space.get_dist_func_param()));
    std::priority_queue<std::pair<int, hnswlib::labeltype>> q = index.searchKnn(data.data(), 2);
    EXPECT_EQ(q.top().second == 0, false);
    EXPECT_EQ(index.getDataByLabel<unsigned char>(9), std::vector<unsigned char>(data.begin() + 9 * dim, data.begin() + 10 * dim));
}

TEST(CompatSpaces, UserFloatSpace) {
    const size_t dim = 6, n = 400;
    std::vector<float> data = random_vectors(n, dim, 28);
    L1Space space(dim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    hnswlib::BruteforceSearch<float> exact(&space, n);
    for (size_t i = 0; i < n; ++i) {
        index.addPoint(data.data() + i * dim, i);
        exact.addPoint(data.data() + i * dim, i);
    }
    index.setEf(100);
    size_t agree = 0;
    for (size_t i = 0; i < 50; ++i) {
        const float* q = data.data() + (i * 7 % n) * dim;
        auto a = index.searchKnnCloserFirst(q, 5);
        auto b = exact.searchKnnCloserFirst(q, 5);
        ASSERT_EQ(b.size(), 5u);
        EXPECT_FLOAT_EQ(b[1].first, l1_distance(q, data.data() + b[1].second * dim, space.get_dist_func_param()));
        for (size_t j = 0; j < 5; ++j) agree += a[j].second == b[j].second;
    }
    EXPECT_GE(agree, 240u);
    EXPECT_EQ(index.getDataByLabel<float>(3), std::vector<float>(data.begin() + 3 * dim, data.begin() + 4 * dim));
}

TEST(CompatSpaces, UserIntSpace) {
    const size_t bytes = 8, n = 200;
    std::mt19937 rng(29);
    std::vector<unsigned char> data(n * bytes);
    for (auto& x : data) x = static_cast<unsigned char>(rng());
    HammingSpace space(bytes);
    hnswlib::HierarchicalNSW<int> index(&space, n);
    hnswlib::BruteforceSearch<int> exact(&space, n);
    for (size_t i = 0; i < n; ++i) {
        index.addPoint(data.data() + i * bytes, i);
        exact.addPoint(data.data() + i * bytes, i);
    }
    auto r = exact.searchKnnCloserFirst(data.data() + 11 * bytes, 4);
    EXPECT_EQ(r[0], (std::pair<int, hnswlib::labeltype>(0, 11)));
    EXPECT_EQ(r[2].first, hamming(data.data() + 11 * bytes, data.data() + r[2].second * bytes, &bytes));
    EXPECT_EQ(index.searchKnnCloserFirst(data.data() + 11 * bytes, 1)[0].second, 11u);
}

TEST(CompatBruteforce, AddRemoveSearchSaveLoad) {
    const size_t dim = 4;
    hnswlib::L2Space space(dim);
    hnswlib::BruteforceSearch<float> bf(&space, 10);
    float v[3][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}};
    for (int i = 0; i < 3; ++i) bf.addPoint(v[i], 100 + i);
    EXPECT_EQ(bf.cur_element_count, 3);
    EXPECT_EQ(bf.maxelements_, 10u);
    auto q = bf.searchKnn(v[2], 3);  // k == count, as hnswlib's tests use it
    EXPECT_EQ(q.top().second, 100u);
    EXPECT_EQ(q.top().first, 16.0f);
    EXPECT_EQ(bf.searchKnn(v[2], 50).size(), 3u);  // hnswlib asserts here
    bf.removePoint(101);
    bf.removePoint(999);  // unknown: ignored, as in hnswlib
    EXPECT_EQ(bf.cur_element_count, 2);
    PickDivisible even(2);
    PickDivisible four(4);
    auto r = bf.searchKnnCloserFirst(v[2], 2, &four);  // 100 and 102 are left; 4 divides 100
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].second, 100u);
    EXPECT_EQ(bf.searchKnnCloserFirst(v[0], 2, &even).size(), 2u);

    TempPath path("bf.bin");
    bf.saveIndex(path.str());
    hnswlib::BruteforceSearch<float> loaded(&space, path.str());
    EXPECT_EQ(loaded.searchKnnCloserFirst(v[2], 2), bf.searchKnnCloserFirst(v[2], 2));
    hnswlib::BruteforceSearch<float> later(&space);
    later.loadIndex(path.str(), &space);
    EXPECT_EQ(later.cur_element_count, 2);
    expect_throw_with<std::runtime_error>([&] { later.loadIndex(path.str() + ".missing", &space); }, ".missing");
    hnswlib::BruteforceSearch<float> full(&space, 1);
    full.addPoint(v[0], 1);
    expect_throw_with<std::runtime_error>([&] { full.addPoint(v[1], 2); }, "exceeds the specified limit");
}

TEST(CompatAlgorithmInterface, BasePointerForBothIndexes) {
    const size_t dim = 16, n = 200, k = 10;
    std::vector<float> data = random_vectors(n, dim, 30);
    hnswlib::L2Space space(dim);
    hnswlib::AlgorithmInterface<float>* bf = new hnswlib::BruteforceSearch<float>(&space, n);
    hnswlib::AlgorithmInterface<float>* hnsw = new hnswlib::HierarchicalNSW<float>(&space, n);
    for (size_t i = 0; i < n; ++i) {
        bf->addPoint(data.data() + i * dim, i);
        hnsw->addPoint(data.data() + i * dim, i);
    }
    PickDivisible odd_free(2);
    for (size_t j = 0; j < 10; ++j) {
        const float* q = data.data() + j * dim;
        auto gd = bf->searchKnn(q, k);
        auto res = bf->searchKnnCloserFirst(q, k);
        ASSERT_EQ(gd.size(), res.size());
        for (size_t i = res.size(); i > 0; --i, gd.pop()) EXPECT_EQ(gd.top(), res[i - 1]);
        auto h = hnsw->searchKnnCloserFirst(q, k, &odd_free);
        for (const auto& p : h) EXPECT_EQ(p.second % 2, 0u);
        EXPECT_EQ(hnsw->searchKnn(q, 1).top().second, j);
    }
    TempPath path("base.bin");
    hnsw->saveIndex(path.str());
    delete bf;
    delete hnsw;
    hnswlib::HierarchicalNSW<float> loaded(&space, path.str());
    EXPECT_EQ(loaded.getCurrentElementCount(), n);
}

TEST(CompatErrors, HnswlibErrorsAreRuntimeErrors) {
    hnswlib::L2Space space(2);
    hnswlib::HierarchicalNSW<float> index(&space, 1);
    float v[2] = {0, 0};
    index.addPoint(v, 1);
    try {
        index.addPoint(v, 2);
        FAIL() << "no exception";
    } catch (std::runtime_error& e) {
        EXPECT_NE(dynamic_cast<hnswlib::CapacityError*>(&e), nullptr);
        EXPECT_NE(std::string(e.what()).find("exceeds the specified limit"), std::string::npos);
    }
    float bad[2] = {NAN, 0};
    hnswlib::HierarchicalNSW<float> other(&space, 5);
    EXPECT_THROW(other.addPoint(bad, 1), std::runtime_error);
    EXPECT_THROW(hnswlib::HierarchicalNSW<float>(nullptr, 5), std::runtime_error);
}
