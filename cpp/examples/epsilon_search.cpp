// Range (epsilon) search with hnswlib's API: EpsilonSearchStopCondition and
// HierarchicalNSW::searchStopConditionClosest, as in hnswlib's example_epsilon_search
// and epsilon_search_test. Every result must lie within epsilon, the results must hold
// more than 95% of what brute force finds within epsilon, and each element searched
// with a tiny radius must find itself. Exits 1 on a failed check.
//
//   epsilon_search [--n 5000] [--dim 16] [--queries 50]
#include <hnswlib/hnswlib.h>

#include <cstdio>
#include <cstring>

namespace {

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "epsilon_search: check failed: %s\n", what);
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    size_t n = 5000, dim = 16, queries = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        size_t v = std::strtoul(argv[i + 1], nullptr, 10);
        if (!std::strcmp(argv[i], "--n")) n = v;
        if (!std::strcmp(argv[i], "--dim")) dim = v;
        if (!std::strcmp(argv[i], "--queries")) queries = v;
    }
    const float radius = 1.0f;        // squared L2
    const size_t min_candidates = 1000;

    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> hnsw(&space, n, 16, 200);
    hnswlib::BruteforceSearch<float> exact(&space, n);
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::vector<float> points(n * dim);
    for (float& x : points) x = unit(gen);
    for (size_t i = 0; i < n; ++i) {
        hnsw.addPoint(points.data() + i * dim, i);
        exact.addPoint(points.data() + i * dim, i);
    }

    double found = 0, expected = 0;
    std::vector<float> q(dim);
    for (size_t r = 0; r < queries; ++r) {
        for (float& x : q) x = unit(gen);
        hnswlib::EpsilonSearchStopCondition<float> cond(radius, min_candidates, n);
        auto got = hnsw.searchStopConditionClosest(q.data(), cond);
        std::unordered_set<hnswlib::labeltype> labels;
        for (size_t i = 0; i < got.size(); ++i) {
            require(got[i].first >= 0 && got[i].first <= radius, "a result lies beyond epsilon");
            require(i == 0 || got[i - 1].first <= got[i].first, "results are not closest first");
            labels.insert(got[i].second);
        }
        for (const auto& t : exact.searchKnnCloserFirst(q.data(), n)) {
            if (t.first > radius) break;
            expected += 1;
            found += labels.count(t.second);
        }
    }
    double recall = expected > 0 ? found / expected : 1.0;
    std::printf("range recall %.4f over %.0f elements within epsilon\n", recall, expected);
    require(expected > 0, "nothing lies within epsilon: the test says nothing");
    require(recall > 0.95, "range recall <= 0.95");

    // Each element, searched with a tiny radius, finds itself at distance 0.
    for (size_t i = 0; i < n; ++i) {
        hnswlib::EpsilonSearchStopCondition<float> cond(1e-4f, 100, n);
        auto got = hnsw.searchStopConditionClosest(points.data() + i * dim, cond);
        require(!got.empty() && got[0].first == 0.0f, "an element did not find itself");
    }
    std::printf("tiny-radius self search ok for %zu elements\n", n);
    return 0;
}
