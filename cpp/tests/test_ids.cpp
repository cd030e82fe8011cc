// Internal ids (getDataByInternalId, getExternalLabel, isMarkedDeleted, label_lookup_,
// Index::label_at/vector_at/...), stop conditions of one's own (a subclass of
// BaseSearchStopCondition, Index::search_stop_condition) against brute force, and the
// document ids of multi-vector spaces kept by saveIndex/loadIndex.
#include "common.h"

#include <fstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

using testutil::expect_throw_with;
using testutil::random_vectors;
using testutil::TempPath;

namespace {

constexpr size_t kDim = 16;

float sq_l2(const float* a, const float* b, size_t dim) {
    float d = 0;
    for (size_t i = 0; i < dim; ++i) d += (a[i] - b[i]) * (a[i] - b[i]);
    return d;
}

/// The labels of every element within `eps` of `q`.
std::unordered_set<hnswlib::labeltype> exact_within(const std::vector<float>& data, const float* q, float eps,
                                                    size_t dim) {
    std::unordered_set<hnswlib::labeltype> out;
    for (size_t i = 0; i < data.size() / dim; ++i)
        if (sq_l2(q, data.data() + i * dim, dim) <= eps) out.insert(i);
    return out;
}

}  // namespace

TEST(InternalIdsTest, AreTheOrderOfAddsAndSurviveSaveAndLoad) {
    const size_t n = 300;
    auto data = random_vectors(n, kDim, 3);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    auto label_of = [](size_t i) { return static_cast<hnswlib::labeltype>((i * 7919) % 1000 + 5); };
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * kDim, label_of(i));
    index.markDelete(label_of(4));
    TempPath path("ids.bin");
    index.saveIndex(path.str());
    hnswlib::HierarchicalNSW<float> loaded(&space, path.str());
    for (auto* h : {&index, &loaded}) {
        ASSERT_EQ(static_cast<size_t>(h->cur_element_count), n);
        for (hnswlib::tableint i = 0; i < n; ++i) {
            EXPECT_EQ(h->getExternalLabel(i), label_of(i));
            EXPECT_EQ(h->isMarkedDeleted(i), i == 4);
            // Deleted elements are read by id too, as in hnswlib.
            const float* v = reinterpret_cast<const float*>(h->getDataByInternalId(i));
            EXPECT_EQ(std::memcmp(v, data.data() + i * kDim, kDim * sizeof(float)), 0);
            auto it = h->label_lookup_.find(label_of(i));
            ASSERT_NE(it, h->label_lookup_.end());
            EXPECT_EQ(it->first, label_of(i));
            EXPECT_EQ(it->second, i);
            EXPECT_EQ(h->label_lookup_.at(label_of(i)), i);
            EXPECT_EQ(h->index().vector_at<float>(i), std::vector<float>(v, v + kDim));
        }
        EXPECT_EQ(h->label_lookup_.find(1), h->label_lookup_.end());
    }
}

TEST(InternalIdsTest, OutOfRangeIdsAreInvalidArgumentErrors) {
    auto data = random_vectors(10, kDim, 4);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, 20);
    for (size_t i = 0; i < 10; ++i) index.addPoint(data.data() + i * kDim, i);
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.getDataByInternalId(10); },
                                                     "Internal id 10 is out of range: the index holds 10 elements");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.getExternalLabel(4000000000u); }, "out of range");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.isMarkedDeleted(19); }, "out of range");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.index().vector_at<float>(uint64_t(1) << 40); },
                                                     "out of range");
    expect_throw_with<hnswlib::LabelNotFoundError>([&] { index.label_lookup_.at(77); }, "Label not found");
    // Errors are std::runtime_errors, as hnswlib throws.
    EXPECT_THROW(index.getExternalLabel(10), std::runtime_error);
}

TEST(InternalIdsTest, EveryElementFindsItselfByItsInternalId) {
    // What hnswlib's tests/cpp/epsilon_search_test.cpp does last, at a smaller size.
    const size_t n = 2000;
    auto data = random_vectors(n, kDim, 47);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, n, 16, 200);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * kDim, i);
    for (size_t i = 0; i < n; ++i) {
        hnswlib::EpsilonSearchStopCondition<float> cond(0.0001f, 500, n);
        auto result = index.searchStopConditionClosest(index.getDataByInternalId(i), cond);
        ASSERT_FALSE(result.empty()) << i;
        EXPECT_EQ(result[0].first, 0.0f) << i;
    }
}

namespace {

/// Stops once it holds `n` results and the next candidate is farther (a k-NN search
/// with ef = n), then keeps the `keep` nearest.
class FirstN : public hnswlib::BaseSearchStopCondition<float> {
 public:
    explicit FirstN(size_t n, size_t keep = SIZE_MAX) : n_(n), keep_(keep) {}
    void add_point_to_result(hnswlib::labeltype label, const void* datapoint, float) override {
        ++held_;
        added_.emplace_back(label, static_cast<const float*>(datapoint)[0]);
    }
    void remove_point_from_result(hnswlib::labeltype, const void*, float) override {
        --held_;
        ++removed_;
    }
    bool should_stop_search(float cand, float lower) override { return cand > lower && held_ == n_; }
    bool should_consider_candidate(float cand, float lower) override { return held_ < n_ || cand < lower; }
    bool should_remove_extra() override { return held_ > n_; }
    void filter_results(std::vector<std::pair<float, hnswlib::labeltype>>& c) override {
        filtered_ = c.size();
        if (c.size() > keep_) c.resize(keep_);
    }

    size_t n_, keep_, held_ = 0, removed_ = 0, filtered_ = 0;
    std::vector<std::pair<hnswlib::labeltype, float>> added_;  // label, first value of its vector
};

/// Every element within a distance budget, exploring at least `min`, holding at most
/// `max`; filter_results drops what lies beyond the budget.
class Budget : public hnswlib::BaseSearchStopCondition<float> {
 public:
    Budget(float budget, size_t min, size_t max) : budget_(budget), min_(min), max_(max) {}
    void add_point_to_result(hnswlib::labeltype, const void*, float) override { ++held_; }
    void remove_point_from_result(hnswlib::labeltype, const void*, float) override { --held_; }
    bool should_stop_search(float cand, float lower) override {
        return (cand > lower && held_ == max_) || (cand > budget_ && held_ >= min_);
    }
    bool should_consider_candidate(float cand, float lower) override { return held_ < max_ || cand < lower; }
    bool should_remove_extra() override { return held_ > max_; }
    void filter_results(std::vector<std::pair<float, hnswlib::labeltype>>& c) override {
        while (!c.empty() && c.back().first > budget_) c.pop_back();
    }

 private:
    float budget_;
    size_t min_, max_, held_ = 0;
};

/// hnswlib's own epsilon condition, subclassed: runs as a condition of one's own.
class CountedEpsilon : public hnswlib::EpsilonSearchStopCondition<float> {
 public:
    using hnswlib::EpsilonSearchStopCondition<float>::EpsilonSearchStopCondition;
    bool should_stop_search(float cand, float lower) override {
        ++asked;
        return hnswlib::EpsilonSearchStopCondition<float>::should_stop_search(cand, lower);
    }
    size_t asked = 0;
};

class Throws : public FirstN {
 public:
    Throws() : FirstN(5) {}
    bool should_consider_candidate(float, float) override { throw std::logic_error("condition failed"); }
};

class EvenOnly : public hnswlib::BaseFilterFunctor {
 public:
    bool operator()(hnswlib::labeltype id) { return id % 2 == 0; }
};

}  // namespace

TEST(OwnStopConditionTest, FirstNFindsTheNearestAsBruteForce) {
    const size_t n = 3000;
    auto data = random_vectors(n, kDim, 5);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    hnswlib::BruteforceSearch<float> bf(&space, n);
    for (size_t i = 0; i < n; ++i) {
        index.addPoint(data.data() + i * kDim, i + 100);
        bf.addPoint(data.data() + i * kDim, i + 100);
    }
    auto queries = random_vectors(50, kDim, 6);
    size_t hits = 0;
    for (size_t q = 0; q < 50; ++q) {
        const float* query = queries.data() + q * kDim;
        FirstN cond(50, 10);
        auto got = index.searchStopConditionClosest(query, cond);
        ASSERT_EQ(got.size(), 10u);
        EXPECT_EQ(cond.filtered_, 50u);
        EXPECT_GT(cond.removed_, 0u);
        for (const auto& [label, first] : cond.added_) EXPECT_EQ(first, data[(label - 100) * kDim]);
        for (size_t j = 1; j < got.size(); ++j) EXPECT_LE(got[j - 1].first, got[j].first);
        auto truth = bf.searchKnnCloserFirst(query, 10);
        std::unordered_set<hnswlib::labeltype> t;
        for (const auto& p : truth) t.insert(p.second);
        for (const auto& p : got) {
            hits += t.count(p.second);
            EXPECT_NEAR(p.first, sq_l2(query, data.data() + (p.second - 100) * kDim, kDim), 1e-4);
        }
    }
    EXPECT_GE(hits, 475u);  // recall >= 0.95
}

TEST(OwnStopConditionTest, DistanceBudgetMatchesBruteForceWithAFilter) {
    const size_t n = 3000;
    auto data = random_vectors(n, kDim, 8);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * kDim, i);
    auto queries = random_vectors(30, kDim, 9);
    EvenOnly even;
    size_t found = 0, expected = 0;
    for (size_t q = 0; q < 30; ++q) {
        const float* query = queries.data() + q * kDim;
        Budget cond(0.5f, 300, n);
        auto got = index.searchStopConditionClosest(query, cond, &even);
        auto truth = exact_within(data, query, 0.5f, kDim);
        size_t truth_even = 0;
        for (auto l : truth) truth_even += l % 2 == 0;
        for (const auto& p : got) {
            EXPECT_LE(p.first, 0.5f);
            EXPECT_EQ(p.second % 2, 0u);
            EXPECT_EQ(truth.count(p.second), 1u);
        }
        found += got.size();
        expected += truth_even;
    }
    ASSERT_GT(expected, 0u);
    EXPECT_GE(double(found) / double(expected), 0.95);
}

TEST(OwnStopConditionTest, SubclassesOfHnswlibsConditionsRunTheirOverrides) {
    const size_t n = 1000;
    auto data = random_vectors(n, kDim, 10);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, n);
    for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * kDim, i);
    CountedEpsilon cond(0.6f, 100, n);
    auto got = index.searchStopConditionClosest(data.data(), cond);
    EXPECT_GT(cond.asked, 0u);
    auto truth = exact_within(data, data.data(), 0.6f, kDim);
    for (const auto& p : got) EXPECT_EQ(truth.count(p.second), 1u);
    EXPECT_GE(double(got.size()) / double(truth.size()), 0.9);
}

TEST(OwnStopConditionTest, ExceptionsAreRethrownAndIntDistancesWork) {
    auto data = random_vectors(200, kDim, 11);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, 200);
    for (size_t i = 0; i < 200; ++i) index.addPoint(data.data() + i * kDim, i);
    Throws t;
    expect_throw_with<std::logic_error>([&] { index.searchStopConditionClosest(data.data(), t); },
                                        "condition failed");
    // The index still works.
    FirstN ok(3);
    EXPECT_EQ(index.searchStopConditionClosest(data.data(), ok).size(), 3u);

    // HierarchicalNSW<int> over L2SpaceI: int distances, INT_MAX before any result.
    class FirstInt : public hnswlib::BaseSearchStopCondition<int> {
     public:
        void add_point_to_result(hnswlib::labeltype, const void*, int) override { ++held; }
        void remove_point_from_result(hnswlib::labeltype, const void*, int) override { --held; }
        bool should_stop_search(int cand, int lower) override { return cand > lower && held == 4; }
        bool should_consider_candidate(int cand, int lower) override {
            saw_max = saw_max || lower == std::numeric_limits<int>::max();
            return held < 4 || cand < lower;
        }
        bool should_remove_extra() override { return held > 4; }
        void filter_results(std::vector<std::pair<int, hnswlib::labeltype>>&) override {}
        size_t held = 0;
        bool saw_max = false;
    };
    hnswlib::L2SpaceI bytes_space(4);
    hnswlib::HierarchicalNSW<int> ints(&bytes_space, 100);
    for (int i = 0; i < 100; ++i) {
        unsigned char v[4] = {static_cast<unsigned char>(i), 0, 0, 0};
        ints.addPoint(v, i);
    }
    unsigned char q[4] = {50, 0, 0, 1};
    FirstInt c;
    auto got = ints.searchStopConditionClosest(q, c);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], std::make_pair(1, hnswlib::labeltype(50)));
    EXPECT_EQ(got[1].first, 2);
}

TEST(OwnStopConditionTest, IndexApiAndOptions) {
    auto data = random_vectors(500, kDim, 12);
    hnswlib::Index index(hnswlib::Space::l2(kDim), hnswlib::IndexParams(500));
    index.add_batch(data);
    class Five : public hnswlib::SearchStopCondition {
     public:
        void add_point_to_result(uint64_t, const void*, float) override { ++held; }
        void remove_point_from_result(uint64_t, const void*, float) override { --held; }
        bool should_stop_search(float c, float l) override { return c > l && held == 5; }
        bool should_consider_candidate(float c, float l) override { return held < 5 || c < l; }
        bool should_remove_extra() override { return held > 5; }
        void filter_results(std::vector<hnswlib::Neighbor>& r) override { r.resize(std::min<size_t>(r.size(), 2)); }
        size_t held = 0;
    } five;
    hnswlib::SearchOptions opts;
    opts.label_filter = hnswlib::LabelFilter::allow({1, 2, 3, 4, 5, 6, 7});
    auto got = index.search_stop_condition(std::vector<float>(data.begin(), data.begin() + kDim), five, opts);
    ASSERT_EQ(got.size(), 2u);
    for (const auto& nb : got) EXPECT_LE(nb.label, 7u);
    expect_throw_with<hnswlib::InvalidArgumentError>(
        [&] { index.search_stop_condition(std::vector<float>(3), five); }, "");
}

TEST(MultiVectorFilesTest, DocumentIdsSurviveSaveAndLoad) {
    const size_t n = 1000;
    using docid = unsigned int;
    hnswlib::MultiVectorL2Space<docid> space(kDim);
    const size_t size = space.get_data_size();
    ASSERT_EQ(size, kDim * sizeof(float) + sizeof(docid));
    auto vectors = random_vectors(n, kDim, 13);
    std::vector<char> data(n * size);
    std::unordered_map<hnswlib::labeltype, docid> doc_of;
    for (size_t i = 0; i < n; ++i) {
        std::memcpy(data.data() + i * size, vectors.data() + i * kDim, kDim * sizeof(float));
        docid d = static_cast<docid>((i * 37) % 50);
        space.set_doc_id(data.data() + i * size, d);
        doc_of[i] = d;
    }
    hnswlib::HierarchicalNSW<float> index(&space, n);
    hnswlib::BruteforceSearch<float> bf(&space, n);
    for (size_t i = 0; i < n; ++i) {
        index.addPoint(data.data() + i * size, i);
        bf.addPoint(data.data() + i * size, i);
    }
    // The elements hold their document ids, as in hnswlib.
    EXPECT_EQ(space.get_doc_id(index.getDataByInternalId(7)), doc_of[7]);
    EXPECT_EQ(index.getDataByLabel<float>(7), std::vector<float>(vectors.begin() + 7 * kDim, vectors.begin() + 8 * kDim));
    TempPath path("multivector.bin"), bf_path("multivector_bf.bin");
    index.saveIndex(path.str());
    bf.saveIndex(bf_path.str());
    // hnswlib's file: its elements are the vector and the document id.
    std::ifstream f(path.str(), std::ios::binary | std::ios::ate);
    size_t data_per_element = 4 + 4 * 32 + size + 8;
    EXPECT_GE(static_cast<size_t>(f.tellg()), 96 + n * data_per_element);
    EXPECT_EQ(index.indexFileSize(), static_cast<size_t>(f.tellg()));

    hnswlib::HierarchicalNSW<float> loaded(&space, path.str());
    hnswlib::HierarchicalNSW<float> later(&space);
    later.loadIndex(path.str(), &space);
    hnswlib::BruteforceSearch<float> bf_loaded(&space, bf_path.str());
    auto queries = random_vectors(20, kDim, 14);
    for (size_t q = 0; q < 20; ++q) {
        const float* query = queries.data() + q * kDim;  // the vector alone, as hnswlib allows
        hnswlib::MultiVectorSearchStopCondition<docid, float> a(space, 5, 10), b(space, 5, 10), c(space, 5, 10);
        auto before = index.searchStopConditionClosest(query, a);
        auto after = loaded.searchStopConditionClosest(query, b);
        EXPECT_EQ(before, after);
        EXPECT_EQ(later.searchStopConditionClosest(query, c), before);
        std::unordered_set<docid> docs;
        for (const auto& p : after) docs.insert(doc_of[p.second]);
        EXPECT_EQ(docs.size(), 5u);
        // hnswlib's own MultiVectorSearchStopCondition code reads the ids from the
        // elements: a subclass runs it as a condition of one's own.
        class Own : public hnswlib::MultiVectorSearchStopCondition<docid, float> {
            using hnswlib::MultiVectorSearchStopCondition<docid, float>::MultiVectorSearchStopCondition;
        } own(space, 5, 10);
        auto mine = loaded.searchStopConditionClosest(query, own);
        std::unordered_set<docid> own_docs;
        for (const auto& p : mine) own_docs.insert(doc_of[p.second]);
        EXPECT_EQ(own_docs.size(), 5u);
        EXPECT_EQ(bf_loaded.searchKnnCloserFirst(query, 3), bf.searchKnnCloserFirst(query, 3));
    }
}
