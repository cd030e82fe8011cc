// Quantized indexes through the C++ API (IndexParams/LoadOptions::quantization and
// keep_vectors, set_rerank, SearchOptions::rerank) and through hnswlib's API
// (HierarchicalNSW's extra constructor argument and setRerank): recall, exact
// distances, training, codes-only storage, files, and every bad value.
#include "common.h"

#include <cmath>
#include <fstream>
#include <limits>

using namespace testutil;
using hnswlib::Index;
using hnswlib::IndexParams;
using hnswlib::LoadOptions;
using hnswlib::Quantization;
using hnswlib::SearchOptions;
using hnswlib::Space;

namespace {

/// Clustered rows and queries of a space with their exact answers (labels = rows).
struct DataSet {
    DataSet(Space s, size_t n, size_t nq, size_t k, size_t clusters, unsigned seed)
        : space(std::move(s)),
          data(clustered_vectors(n, space.dim(), clusters, seed, seed + 1)),
          queries(clustered_vectors(nq, space.dim(), clusters, seed, seed + 2)),
          k(k),
          truth(exact_knn(space, data, queries, k)) {}
    size_t rows() const { return data.size() / space.dim(); }

    /// An index of every row in `mode`, built on one thread (the same graph every run).
    Index build(Quantization mode, bool keep_vectors = true) const {
        IndexParams p(rows(), 12, 100);
        p.quantization = mode;
        p.keep_vectors = keep_vectors;
        Index index(space, p);
        hnswlib::AddOptions one_thread;
        one_thread.num_threads = 1;
        index.add_batch(data, {}, one_thread);
        return index;
    }
    double recall_of(const Index& index, const SearchOptions& opts) const {
        std::vector<std::vector<uint64_t>> found;
        for (const auto& row : index.search_batch(queries, k, opts)) found.push_back(labels_of(row));
        return recall(found, truth);
    }

    Space space;
    std::vector<float> data, queries;
    size_t k;
    std::vector<std::vector<uint64_t>> truth;
};

SearchOptions with_rerank(size_t ef, float rerank) {
    SearchOptions o(ef);
    o.rerank = rerank;
    return o;
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

class QuantizedRecall : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST(Quantized, DefaultsAndNames) {
    IndexParams p;
    EXPECT_EQ(p.quantization, Quantization::None);
    EXPECT_TRUE(p.keep_vectors);
    LoadOptions lo;
    EXPECT_EQ(lo.quantization, Quantization::None);
    EXPECT_TRUE(lo.keep_vectors);
    EXPECT_EQ(SearchOptions().rerank, 0.0f);
    EXPECT_EQ(hnswlib::quantization_name(Quantization::None), "none");
    EXPECT_EQ(hnswlib::quantization_name(Quantization::Sq8), "sq8");
    EXPECT_EQ(hnswlib::quantization_name(Quantization::Sq4), "sq4");
    EXPECT_EQ(hnswlib::quantization_name(static_cast<Quantization>(9)), "unknown quantization");
    EXPECT_EQ(hnswlib::quantization_by_name("sq8"), Quantization::Sq8);
    EXPECT_EQ(hnswlib::quantization_by_name("sq4"), Quantization::Sq4);
    EXPECT_EQ(hnswlib::quantization_by_name(""), Quantization::None);
    expect_throw_with<hnswlib::InvalidArgumentError>([] { hnswlib::quantization_by_name("sq16"); },
                                                     "use \"none\", \"sq8\" or \"sq4\"");

    Index plain(Space::l2(4), IndexParams(10));
    EXPECT_EQ(plain.quantization(), Quantization::None);
    EXPECT_TRUE(plain.keeps_vectors());
    EXPECT_FALSE(plain.is_trained());
}

// At the same ef as the unquantized index, sq8 (default rerank) is within 0.01 of its
// recall; sq4 needs a deeper rerank (its default 4 x k falls short on cosine), and with
// the whole candidate list re-ranked it is within 0.01 too. Keeping the vectors, both
// link the same graph and so write the same file.
TEST_P(QuantizedRecall, MatchesTheUnquantizedIndexAtTheSameEf) {
    DataSet set(Space::by_name(GetParam(), 48), 4000, 200, 10, 30, 7);
    Index plain = set.build(Quantization::None);
    Index sq8 = set.build(Quantization::Sq8);
    Index sq4 = set.build(Quantization::Sq4);
    double plain20 = set.recall_of(plain, SearchOptions(20));
    double sq8_20 = set.recall_of(sq8, SearchOptions(20));
    double plain100 = set.recall_of(plain, SearchOptions(100));
    double sq4_default = set.recall_of(sq4, SearchOptions(100));
    double sq4_shallow = set.recall_of(sq4, with_rerank(100, 1));
    double sq4_deep = set.recall_of(sq4, with_rerank(100, 10));
    std::printf("     %-6s recall@10: ef 20 none %.4f sq8 %.4f; ef 100 none %.4f sq4 %.4f (rerank 1 %.4f, 10 %.4f)\n",
                GetParam().c_str(), plain20, sq8_20, plain100, sq4_default, sq4_shallow, sq4_deep);
    EXPECT_GE(sq8_20, plain20 - 0.01);
    EXPECT_GE(sq4_deep, plain100 - 0.01);
    EXPECT_GT(sq4_deep, sq4_shallow);
    EXPECT_EQ(sq8.to_bytes(), plain.to_bytes());
    EXPECT_EQ(sq4.to_bytes(), plain.to_bytes());
}

INSTANTIATE_TEST_SUITE_P(Spaces, QuantizedRecall, ::testing::Values("l2", "ip", "cosine"));

TEST(Quantized, TrainingRerankAndExactDistances) {
    DataSet set(Space::l2(24), 2000, 30, 5, 10, 3);
    IndexParams p(set.rows());
    p.quantization = Quantization::Sq4;
    Index index(set.space, p);
    EXPECT_EQ(index.quantization(), Quantization::Sq4);
    EXPECT_TRUE(index.keeps_vectors());
    EXPECT_FLOAT_EQ(index.rerank(), 4.0f);
    // Exact until it holds 1000 elements, then it learns its codes.
    const size_t dim = set.space.dim();
    index.add_batch(set.data.data(), 999, nullptr);
    EXPECT_FALSE(index.is_trained());
    index.add_batch(set.data.data() + 999 * dim, set.rows() - 999, nullptr);
    EXPECT_TRUE(index.is_trained());
    // Re-ranked with the kept vectors: the space's exact distances.
    for (size_t q = 0; q < set.queries.size() / dim; ++q) {
        const float* query = set.queries.data() + q * dim;
        for (const auto& nb : index.search(query, 5)) {
            EXPECT_EQ(nb.distance, set.space.distance(query, set.data.data() + nb.label * dim));
        }
    }
    index.set_rerank(1.5f);
    EXPECT_FLOAT_EQ(index.rerank(), 1.5f);

    Index sq8(set.space, [] {
        IndexParams q(10);
        q.quantization = Quantization::Sq8;
        return q;
    }());
    EXPECT_FLOAT_EQ(sq8.rerank(), 2.0f);
}

// The index's rerank and the per-call one both reach the search; the call's wins.
TEST(Quantized, PerCallRerankOverridesTheIndexs) {
    DataSet set(Space::cosine(32), 3000, 150, 10, 20, 11);
    Index index = set.build(Quantization::Sq4);
    index.set_rerank(1);
    double shallow = set.recall_of(index, SearchOptions(50));
    index.set_rerank(5);
    double deep = set.recall_of(index, SearchOptions(50));
    double call_shallow = set.recall_of(index, with_rerank(50, 1));
    EXPECT_GT(deep, shallow);
    EXPECT_EQ(call_shallow, shallow);
    EXPECT_FLOAT_EQ(index.rerank(), 5.0f);
}

TEST(Quantized, CodesOnlySearchesButCannotBeSaved) {
    DataSet set(Space::l2(32), 3000, 100, 10, 20, 9);
    Index index = set.build(Quantization::Sq8, false);
    EXPECT_FALSE(index.keeps_vectors());
    EXPECT_TRUE(index.is_trained());
    EXPECT_GE(set.recall_of(index, SearchOptions(64)), 0.85);
    // The vectors read back are what the codes stand for: close, not equal.
    std::vector<float> v = index.get_item<float>(17);
    float err = 0;
    for (size_t j = 0; j < v.size(); ++j) err = std::max(err, std::fabs(v[j] - set.data[17 * 32 + j]));
    EXPECT_GT(err, 0.0f);
    EXPECT_LT(err, 0.02f);
    expect_throw_with<hnswlib::StateError>([&] { index.to_bytes(); }, "codes-only");
    expect_throw_with<hnswlib::StateError>([&] { index.serialize(); }, "keep_vectors = false");
    TempPath path("codes.hnsw");
    expect_throw_with<std::runtime_error>([&] { index.save(path.str()); }, "hnswlib's format");
    EXPECT_FALSE(file_exists(path.str()));
}

// An index in hnswlib's format loads into a quantized index, which codes the file's
// vectors, searches like the unquantized one and saves the same bytes.
TEST(Quantized, FilesLoadIntoQuantizedIndexes) {
    DataSet set(Space::cosine(20), 2500, 50, 10, 10, 13);
    Index plain = set.build(Quantization::None);
    TempPath path("plain.hnsw");
    plain.save(path.str());
    std::vector<uint8_t> bytes = plain.to_bytes();
    double r_plain = set.recall_of(plain, SearchOptions(100));
    for (Quantization mode : {Quantization::Sq8, Quantization::Sq4}) {
        LoadOptions lo;
        lo.quantization = mode;
        Index loaded = Index::load(path.str(), set.space, lo);
        Index from_bytes = Index::from_bytes(bytes, set.space, lo);
        EXPECT_EQ(loaded.quantization(), mode);
        EXPECT_TRUE(loaded.is_trained());
        EXPECT_TRUE(from_bytes.is_trained());
        // sq4 on 20-d cosine loses about 0.016 even re-ranking everything.
        double slack = mode == Quantization::Sq8 ? 0.01 : 0.03;
        EXPECT_GE(set.recall_of(loaded, with_rerank(100, 10)), r_plain - slack);
        EXPECT_EQ(loaded.to_bytes(), bytes);
        EXPECT_EQ(from_bytes.to_bytes(), bytes);
        lo.keep_vectors = false;
        Index codes = Index::load(path.str(), set.space, lo);
        EXPECT_FALSE(codes.keeps_vectors());
        EXPECT_THROW(codes.to_bytes(), hnswlib::StateError);
    }
}

TEST(Quantized, BadValuesThrowWithTheirMessage) {
    IndexParams p(10);
    p.quantization = static_cast<Quantization>(3);
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index x(Space::l2(4), p); },
                                                     "hnsw_params.quantization is 3");
    // Quantization needs an f32 space.
    for (Quantization mode : {Quantization::Sq8, Quantization::Sq4}) {
        p.quantization = mode;
        expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index x(Space::l2_u8(8), p); },
                                                         "needs an f32 space (l2, ip or cosine), not l2u8");
        Space custom = Space::custom(8, [](const void*, const void*) { return 0.0f; });
        expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index x(custom, p); }, "needs an f32 space");
    }

    Index index(Space::l2(4), IndexParams(10));
    index.add(std::vector<float>{1, 2, 3, 4}, 1);
    std::vector<uint8_t> bytes = index.to_bytes();
    LoadOptions lo;
    lo.quantization = static_cast<Quantization>(-1);
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index::from_bytes(bytes, Space::l2(4), lo); },
                                                     "hnsw_load_options.quantization is -1");
    lo.quantization = Quantization::Sq8;
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { Index::from_bytes(bytes, Space::l2_u8(16), lo); },
                                                     "needs an f32 space");

    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.set_rerank(nan); }, "finite");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.set_rerank(inf); }, "finite");
    std::vector<float> q{1, 2, 3, 4};
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.search(q, 1, with_rerank(0, nan)); },
                                                     "hnsw_search_options.rerank");
    expect_throw_with<hnswlib::InvalidArgumentError>([&] { index.search_batch(q, 1, with_rerank(0, -inf)); },
                                                     "finite");
    hnswlib::BruteForce bf(Space::l2(4), 1);
    bf.add(q, 1);
    EXPECT_THROW(bf.search(q, 1, with_rerank(0, nan)), hnswlib::InvalidArgumentError);
    EXPECT_EQ(bf.search(q, 1, with_rerank(0, 3)).size(), 1u);

    // An object holding no index.
    Index none;
    EXPECT_THROW(none.set_rerank(2), hnswlib::NullPointerError);
    EXPECT_THROW(none.rerank(), hnswlib::NullPointerError);
    EXPECT_THROW(none.quantization(), hnswlib::NullPointerError);
    EXPECT_THROW(none.keeps_vectors(), hnswlib::NullPointerError);
    EXPECT_THROW(none.is_trained(), hnswlib::NullPointerError);
    // All are std::runtime_errors, as the rest of the library's.
    EXPECT_THROW(index.set_rerank(nan), std::runtime_error);
}

// hnswlib's API: an extra last constructor argument and setRerank; the file stays
// hnswlib's, and loadIndex keeps the object's storage mode.
TEST(CompatQuantized, HierarchicalNSWOptsIn) {
    const size_t dim = 16, n = 1500;
    std::vector<float> data = clustered_vectors(n, dim, 8, 5, 6);
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> alg(&space, n, 16, 200, 100, false, Quantization::Sq8);
    EXPECT_EQ(alg.index().quantization(), Quantization::Sq8);
    for (size_t i = 0; i < n; ++i) alg.addPoint(data.data() + i * dim, i);
    EXPECT_TRUE(alg.index().is_trained());
    alg.setRerank(3);
    EXPECT_FLOAT_EQ(alg.index().rerank(), 3.0f);
    alg.setEf(50);
    for (size_t i = 0; i < n; i += 37) {
        auto r = alg.searchKnnCloserFirst(data.data() + i * dim, 3);
        ASSERT_EQ(r.size(), 3u);
        EXPECT_EQ(r[0].second, i);
        EXPECT_EQ(r[0].first, 0.0f);
    }
    TempPath path("compat_sq8.hnsw");
    alg.saveIndex(path.str());

    // hnswlib's load constructor, unquantized and quantized.
    hnswlib::HierarchicalNSW<float> plain(&space, path.str());
    EXPECT_EQ(plain.index().quantization(), Quantization::None);
    EXPECT_EQ(plain.index().to_bytes(), alg.index().to_bytes());
    hnswlib::HierarchicalNSW<float> sq4(&space, path.str(), false, 0, false, Quantization::Sq4);
    EXPECT_EQ(sq4.index().quantization(), Quantization::Sq4);
    EXPECT_TRUE(sq4.index().is_trained());
    sq4.loadIndex(path.str(), &space);
    EXPECT_EQ(sq4.index().quantization(), Quantization::Sq4);
    plain.loadIndex(path.str(), &space);
    EXPECT_EQ(plain.index().quantization(), Quantization::None);

    // Not for integer or user-defined spaces; hnswlib programs catch std::runtime_error.
    hnswlib::L2SpaceI ints(dim);
    try {
        hnswlib::HierarchicalNSW<int> bad(&ints, 10, 16, 200, 100, false, Quantization::Sq8);
        ADD_FAILURE() << "sq8 on L2SpaceI did not throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("needs an f32 space"), std::string::npos) << e.what();
    }
    EXPECT_THROW(alg.setRerank(std::numeric_limits<float>::quiet_NaN()), std::runtime_error);
}
