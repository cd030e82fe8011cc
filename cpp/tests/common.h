// Shared helpers of the GoogleTest suite: data, ground truth, recall, scratch files.
#pragma once

#include <hnswlib/hnswlib.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace testutil {

/// `n` rows of `dim` uniform floats in [0, 1) from `seed`.
inline std::vector<float> random_vectors(size_t n, size_t dim, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> v(n * dim);
    for (float& x : v) x = u(rng);
    return v;
}

/// Embedding-like rows: `n` points around `clusters` centres in [-1, 1)^dim (drawn from
/// `centre_seed`), each coordinate off its centre by up to 0.35 (drawn from `seed`).
inline std::vector<float> clustered_vectors(size_t n, size_t dim, size_t clusters, unsigned centre_seed,
                                            unsigned seed) {
    std::vector<float> centres = random_vectors(clusters, dim, centre_seed);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n * dim);
    for (size_t i = 0; i < n; ++i) {
        size_t c = rng() % clusters;
        for (size_t j = 0; j < dim; ++j) v[i * dim + j] = 2 * centres[c * dim + j] - 1 + 0.35f * u(rng);
    }
    return v;
}

/// Exact k nearest labels of each query (labels 0..n-1 in row order), by BruteForce.
inline std::vector<std::vector<uint64_t>> exact_knn(const hnswlib::Space& space, const std::vector<float>& data,
                                                    const std::vector<float>& queries, size_t k) {
    size_t n = data.size() * sizeof(float) / space.element_size();
    hnswlib::BruteForce bf(space, n);
    std::vector<uint64_t> labels(n);
    for (size_t i = 0; i < n; ++i) labels[i] = i;
    bf.add_batch(data, labels);
    std::vector<std::vector<uint64_t>> out;
    for (const auto& row : bf.search_batch(queries, k)) {
        std::vector<uint64_t> l;
        for (const auto& nb : row) l.push_back(nb.label);
        out.push_back(l);
    }
    return out;
}

/// Fraction of the true labels found.
inline double recall(const std::vector<std::vector<uint64_t>>& found, const std::vector<std::vector<uint64_t>>& truth) {
    size_t hit = 0, total = 0;
    for (size_t q = 0; q < truth.size(); ++q) {
        for (uint64_t t : truth[q]) {
            for (uint64_t f : found[q]) hit += f == t;
        }
        total += truth[q].size();
    }
    return total == 0 ? 0.0 : static_cast<double>(hit) / total;
}

inline std::vector<uint64_t> labels_of(const std::vector<hnswlib::Neighbor>& r) {
    std::vector<uint64_t> l;
    for (const auto& nb : r) l.push_back(nb.label);
    return l;
}

/// A fresh path in the test's scratch directory, removed at the end of the scope.
class TempPath {
 public:
    explicit TempPath(const std::string& name) {
        std::string dir = HNSWLIB_TEST_TMP;
        std::string mk = "mkdir -p '" + dir + "'";
        if (std::system(mk.c_str()) != 0) throw std::runtime_error("cannot create " + dir);
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string id = info ? std::string(info->test_suite_name()) + "." + info->name() + "." : "";
        for (char& c : id) c = c == '/' ? '_' : c;
        path_ = dir + "/" + id + name;
        std::remove(path_.c_str());
    }
    ~TempPath() { std::remove(path_.c_str()); }
    const std::string& str() const { return path_; }
    const char* c_str() const { return path_.c_str(); }

 private:
    std::string path_;
};

/// Expects `f` to throw exception type E whose message contains `part`.
template <class E, class F>
void expect_throw_with(F&& f, const std::string& part) {
    try {
        f();
        ADD_FAILURE() << "no exception; expected one containing \"" << part << "\"";
    } catch (const E& e) {
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << "message: " << e.what();
    }
}

}  // namespace testutil
