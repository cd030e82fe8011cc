// Range (epsilon) and document (multi-vector) searches: the C++ API (Index, BruteForce)
// against brute force, filters, callbacks that throw, batches and bad input; hnswlib's
// API (stop conditions, multi-vector spaces) on what the ctest examples do not cover.
#include "common.h"

#include <optional>
#include <unordered_set>

using hnswlib::BruteForce;
using hnswlib::DocHit;
using hnswlib::Index;
using hnswlib::IndexParams;
using hnswlib::Neighbor;
using hnswlib::SearchOptions;
using hnswlib::Space;
using testutil::expect_throw_with;
using testutil::labels_of;
using testutil::random_vectors;

namespace {

constexpr size_t kDim = 8, kN = 2000;

struct Both {
    Index hnsw;
    BruteForce bf;
};

Both build(const std::vector<float>& data) {
    std::vector<uint64_t> labels(kN);
    for (size_t i = 0; i < kN; ++i) labels[i] = i;
    Both b{Index(Space::l2(kDim), IndexParams(kN)), BruteForce(Space::l2(kDim), kN)};
    b.hnsw.add_batch(data, labels);
    b.bf.add_batch(data, labels);
    return b;
}

float l2(const float* a, const float* b) {
    float d = 0;
    for (size_t j = 0; j < kDim; ++j) d += (a[j] - b[j]) * (a[j] - b[j]);
    return d;
}

}  // namespace

TEST(RangeSearchTest, BruteForceIsExactAndHnswFindsMost) {
    auto data = random_vectors(kN, kDim, 1);
    auto queries = random_vectors(20, kDim, 2);
    Both b = build(data);
    const float eps = 0.3f;
    auto exact = b.bf.range_search_batch(queries, eps, kN);
    SearchOptions o(300);
    auto approx = b.hnsw.range_search_batch(queries, eps, kN, o);
    ASSERT_EQ(exact.size(), 20u);
    size_t total = 0, found = 0;
    for (size_t q = 0; q < 20; ++q) {
        const float* qv = queries.data() + q * kDim;
        size_t want = 0;
        for (size_t i = 0; i < kN; ++i) want += l2(qv, data.data() + i * kDim) <= eps;
        EXPECT_EQ(exact[q].size(), want);
        for (size_t i = 1; i < exact[q].size(); ++i) EXPECT_LE(exact[q][i - 1].distance, exact[q][i].distance);
        std::unordered_set<uint64_t> truth;
        for (const Neighbor& n : exact[q]) truth.insert(n.label);
        for (const Neighbor& n : approx[q]) {
            EXPECT_LE(n.distance, eps);
            found += truth.count(n.label);
        }
        total += truth.size();
        std::vector<float> one(qv, qv + kDim);
        EXPECT_EQ(b.hnsw.range_search(one, eps, kN, o), approx[q]);
        auto few = b.bf.range_search(one, eps, 2);
        EXPECT_EQ(few.size(), std::min<size_t>(2, exact[q].size()));
    }
    ASSERT_GT(total, 100u);
    EXPECT_GT(static_cast<double>(found) / total, 0.95);
}

TEST(RangeSearchTest, FilterAndBadInput) {
    auto data = random_vectors(kN, kDim, 3);
    Both b = build(data);
    std::vector<float> q = random_vectors(1, kDim, 4);
    SearchOptions even(200, 0, [](uint64_t l) { return l % 2 == 0; });
    for (const Neighbor& n : b.hnsw.range_search(q, 0.5f, 100, even)) EXPECT_EQ(n.label % 2, 0u);
    for (const Neighbor& n : b.bf.range_search(q, 0.5f, 100, even)) EXPECT_EQ(n.label % 2, 0u);
    SearchOptions throws(0, 0, [](uint64_t) -> bool { throw std::logic_error("filter says no"); });
    expect_throw_with<std::logic_error>([&] { b.hnsw.range_search(q, 0.5f, 10, throws); }, "filter says no");
    using hnswlib::InvalidArgumentError;
    expect_throw_with<InvalidArgumentError>([&] { b.hnsw.range_search(q, NAN, 10); }, "NaN");
    expect_throw_with<InvalidArgumentError>([&] { b.bf.range_search(q, -0.5f, 10); }, "at least 0");
    expect_throw_with<InvalidArgumentError>([&] { b.hnsw.range_search(q, 0.5f, 0); }, "max_results");
    expect_throw_with<InvalidArgumentError>([&] { b.bf.range_search_batch(q, 0.5f, 0); }, "max_results");
    EXPECT_THROW(b.hnsw.range_search(std::vector<float>(kDim - 1), 0.5f, 10), InvalidArgumentError);
    Index moved = std::move(b.hnsw);
    EXPECT_THROW(b.hnsw.range_search(q, 0.5f, 10), hnswlib::Error);  // NOLINT: use after move on purpose
}

TEST(DocSearchTest, BruteForceIsExactAndHnswAgrees) {
    auto data = random_vectors(kN, kDim, 5);
    auto queries = random_vectors(20, kDim, 6);
    Both b = build(data);
    auto doc = [](uint64_t l) -> std::optional<uint64_t> { return l % 97; };
    size_t same = 0;
    for (size_t q = 0; q < 20; ++q) {
        const float* qv = queries.data() + q * kDim;
        auto exact = b.bf.search_docs(qv, 5, doc);
        auto approx = b.hnsw.search_docs(qv, 5, doc, SearchOptions(20));
        ASSERT_EQ(exact.size(), 5u);
        ASSERT_EQ(approx.size(), 5u);
        for (const DocHit& h : exact) {
            EXPECT_EQ(h.doc, h.label % 97);
            for (size_t i = 0; i < kN; ++i) {
                if (i % 97 == h.doc) {
                    EXPECT_GE(l2(qv, data.data() + i * kDim), h.distance - 1e-6f);
                }
            }
            for (const DocHit& a : approx) same += a.doc == h.doc;
        }
        auto hits = b.hnsw.search_doc_hits(qv, 5, doc, SearchOptions(20));
        std::unordered_set<uint64_t> docs;
        for (const DocHit& h : hits) docs.insert(h.doc);
        EXPECT_EQ(docs.size(), 5u);
        EXPECT_EQ(hits[0], approx[0]);
    }
    EXPECT_GE(same, 95u);
    // Unmapped labels never come back; a throwing doc_of is rethrown; empty is an error.
    auto odd_none = [](uint64_t l) -> std::optional<uint64_t> {
        if (l % 2) return std::nullopt;
        return l;
    };
    for (const DocHit& h : b.hnsw.search_docs(queries.data(), 5, odd_none)) EXPECT_EQ(h.label % 2, 0u);
    auto boom = [](uint64_t) -> std::optional<uint64_t> { throw std::out_of_range("no such doc"); };
    expect_throw_with<std::out_of_range>([&] { b.hnsw.search_docs(queries.data(), 5, boom); }, "no such doc");
    EXPECT_THROW(b.bf.search_docs(queries.data(), 5, hnswlib::DocOf{}), hnswlib::InvalidArgumentError);
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { b.bf.search_docs(queries.data(), 0, doc); },
                                                     "at least 1");
}

namespace {

/// A stop condition of the user's own: the library cannot run it.
class CountTen : public hnswlib::BaseSearchStopCondition<float> {
 public:
    void add_point_to_result(hnswlib::labeltype, const void*, float) override {}
    void remove_point_from_result(hnswlib::labeltype, const void*, float) override {}
    bool should_stop_search(float, float) override { return true; }
    bool should_consider_candidate(float, float) override { return true; }
    bool should_remove_extra() override { return false; }
    void filter_results(std::vector<std::pair<float, hnswlib::labeltype>>&) override {}
};

class EvenOnly : public hnswlib::BaseFilterFunctor {
 public:
    bool operator()(hnswlib::labeltype id) { return id % 2 == 0; }
};

}  // namespace

TEST(HnswlibStopConditionTest, FiltersSpacesAndOwnConditions) {
    auto data = random_vectors(500, kDim, 7);
    hnswlib::L2Space space(kDim);
    hnswlib::HierarchicalNSW<float> index(&space, 500);
    for (size_t i = 0; i < 500; ++i) index.addPoint(data.data() + i * kDim, i);
    EvenOnly even;
    hnswlib::EpsilonSearchStopCondition<float> eps(0.5f, 50, 500);
    auto got = index.searchStopConditionClosest(data.data(), eps, &even);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got[0].second, 0u);
    for (const auto& p : got) EXPECT_EQ(p.second % 2, 0u);
    // A condition of one's own runs (test_ids.cpp tests them): this one stops at once,
    // holding the entry point only.
    CountTen mine;
    EXPECT_EQ(index.searchStopConditionClosest(data.data(), mine).size(), 1u);
    // A multi-vector condition needs an index of a multi-vector space.
    hnswlib::MultiVectorL2Space<unsigned> mv(kDim);
    hnswlib::MultiVectorSearchStopCondition<unsigned, float> docs(mv, 3, 5);
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.searchStopConditionClosest(data.data(), docs); },
                                                     "multi-vector space");

    // The inner-product multi-vector space (hnswlib leaves its dim unset) with 64-bit ids.
    hnswlib::MultiVectorInnerProductSpace<uint64_t> ip(kDim);
    EXPECT_EQ(ip.get_data_size(), kDim * sizeof(float) + sizeof(uint64_t));
    EXPECT_EQ(*static_cast<size_t*>(ip.get_dist_func_param()), kDim);
    hnswlib::HierarchicalNSW<float> docs_index(&ip, 500);
    std::vector<char> e(ip.get_data_size());
    for (size_t i = 0; i < 500; ++i) {
        std::memcpy(e.data(), data.data() + i * kDim, kDim * sizeof(float));
        ip.set_doc_id(e.data(), 1000 + i / 10);
        docs_index.addPoint(e.data(), i);
    }
    hnswlib::MultiVectorSearchStopCondition<uint64_t, float> cond(ip, 4, 8);
    auto hits = docs_index.searchStopConditionClosest(data.data(), cond);
    std::unordered_set<uint64_t> found;
    for (const auto& p : hits) found.insert(1000 + p.second / 10);
    EXPECT_EQ(found.size(), 4u);
}
