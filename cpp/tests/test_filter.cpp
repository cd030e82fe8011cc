// LabelFilter (allow-lists and masks held as data, evaluated in the library without a
// callback per candidate): Index (at an ef that makes it exact) and BruteForce against
// a filtered scan, combined with a std::function filter, copies, empty filters.
#include "common.h"

#include <algorithm>
#include <functional>

using hnswlib::BruteForce;
using hnswlib::Index;
using hnswlib::IndexParams;
using hnswlib::LabelFilter;
using hnswlib::Neighbor;
using hnswlib::SearchOptions;
using hnswlib::Space;
using testutil::random_vectors;

namespace {

constexpr size_t kDim = 6, kN = 500, kQ = 10, kK = 5;

uint64_t label_of(size_t i) { return 3 * i; }

/// The kK closest labels that `ok` accepts, closest first.
std::vector<uint64_t> scan(const std::vector<float>& data, const float* q, const std::function<bool(uint64_t)>& ok) {
    std::vector<std::pair<float, uint64_t>> all;
    for (size_t i = 0; i < kN; ++i) {
        if (!ok(label_of(i))) continue;
        float d = 0;
        for (size_t j = 0; j < kDim; ++j) d += (q[j] - data[i * kDim + j]) * (q[j] - data[i * kDim + j]);
        all.emplace_back(d, label_of(i));
    }
    std::sort(all.begin(), all.end());
    std::vector<uint64_t> out;
    for (size_t i = 0; i < all.size() && i < kK; ++i) out.push_back(all[i].second);
    return out;
}

std::vector<uint64_t> labels(const std::vector<Neighbor>& found) {
    std::vector<uint64_t> out;
    for (const auto& n : found) out.push_back(n.label);
    return out;
}

class LabelFilterTest : public ::testing::Test {
 protected:
    void SetUp() override {
        std::vector<uint64_t> ids(kN);
        for (size_t i = 0; i < kN; ++i) ids[i] = label_of(i);
        hnsw.add_batch(data, ids);
        bf.add_batch(data, ids);
    }
    void expect_matches(const SearchOptions& base, const std::function<bool(uint64_t)>& rule) {
        SearchOptions opts = base;
        opts.ef = kN;
        for (size_t q = 0; q < kQ; ++q) {
            const float* qv = queries.data() + q * kDim;
            auto want = scan(data, qv, rule);
            EXPECT_EQ(labels(hnsw.search(qv, kK, opts)), want) << "query " << q;
            EXPECT_EQ(labels(bf.search(qv, kK, opts)), want) << "query " << q;
        }
        for (const auto& row : hnsw.search_batch(queries, kK, opts))
            for (const auto& n : row) EXPECT_TRUE(rule(n.label));
    }
    std::vector<float> data = random_vectors(kN, kDim, 5);
    std::vector<float> queries = random_vectors(kQ, kDim, 6);
    Space space = Space::l2(kDim);
    Index hnsw{space, IndexParams(kN)};
    BruteForce bf{space, kN};
};

TEST_F(LabelFilterTest, AllowListWithLabelsNotInTheIndex) {
    std::vector<uint64_t> evens;
    for (uint64_t l = 0; l < 3 * kN; l += 2) evens.push_back(l);
    evens.push_back(UINT64_MAX - 1);
    SearchOptions opts;
    opts.label_filter = LabelFilter::allow(evens);
    expect_matches(opts, [](uint64_t l) { return l % 2 == 0; });
    // With a std::function filter too: both must accept.
    opts.filter = [](uint64_t l) { return l % 4 == 0; };
    expect_matches(opts, [](uint64_t l) { return l % 4 == 0; });
    // Copies share the filter.
    LabelFilter copy = opts.label_filter;
    EXPECT_TRUE(copy.accepts(UINT64_MAX - 1));
    EXPECT_FALSE(copy.accepts(3));
}

TEST_F(LabelFilterTest, MasksShorterThanTheLargestLabel) {
    std::vector<bool> mask(kN);  // labels below kN only; the largest is 3 kN - 3
    for (size_t l = 0; l < kN; ++l) mask[l] = l % 4 == 1;
    SearchOptions opts;
    opts.label_filter = LabelFilter::mask(mask);
    expect_matches(opts, [](uint64_t l) { return l < kN && l % 4 == 1; });
    std::vector<uint8_t> bytes(kN);
    for (size_t l = 0; l < kN; ++l) bytes[l] = l % 5 == 0 ? 9 : 0;
    opts.label_filter = LabelFilter::mask(bytes.data(), bytes.size());
    expect_matches(opts, [](uint64_t l) { return l < kN && l % 5 == 0; });
}

TEST_F(LabelFilterTest, EmptyAllowListFindsNothingAndEmptyFilterAcceptsAll) {
    SearchOptions opts;
    opts.label_filter = LabelFilter::allow({});
    EXPECT_TRUE(hnsw.search(queries.data(), kK, opts).empty());
    EXPECT_TRUE(bf.search(queries.data(), kK, opts).empty());
    EXPECT_TRUE(hnsw.range_search(queries.data(), 1e9f, kN, opts).empty());
    LabelFilter none;
    EXPECT_FALSE(static_cast<bool>(none));
    EXPECT_TRUE(none.accepts(42));
    opts.label_filter = none;
    EXPECT_EQ(bf.search(queries.data(), kK, opts).size(), kK);
}

}  // namespace
