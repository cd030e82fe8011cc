// Programs written the way hnswlib's README and examples/cpp use the API (raw new/delete,
// addPoint in loops, ParallelFor over std::thread), at test sizes.
#include "common.h"

#include <thread>

using namespace testutil;

namespace {

// The multi-threaded loop of hnswlib's examples: ids handed out by an atomic counter,
// the first exception rethrown after joining.
template <class Function>
void ParallelFor(size_t start, size_t end, size_t numThreads, Function fn) {
    std::vector<std::thread> threads;
    std::atomic<size_t> current(start);
    std::exception_ptr lastException = nullptr;
    std::mutex lastExceptMutex;
    for (size_t threadId = 0; threadId < numThreads; ++threadId) {
        threads.push_back(std::thread([&, threadId] {
            while (true) {
                size_t id = current.fetch_add(1);
                if (id >= end) break;
                try {
                    fn(id, threadId);
                } catch (...) {
                    std::unique_lock<std::mutex> lock(lastExceptMutex);
                    lastException = std::current_exception();
                    current = end;
                    break;
                }
            }
        }));
    }
    for (auto& t : threads) t.join();
    if (lastException) std::rethrow_exception(lastException);
}

class PickDivisibleIds : public hnswlib::BaseFilterFunctor {
    unsigned int divisor = 1;

 public:
    PickDivisibleIds(unsigned int divisor) : divisor(divisor) { assert(divisor != 0); }
    bool operator()(hnswlib::labeltype label_id) { return label_id % divisor == 0; }
};

const int dim = 16;
const int max_elements = 2000;
const int M = 16;
const int ef_construction = 200;

float* example_data(int n, unsigned seed) {
    std::mt19937 rng;
    rng.seed(seed);
    std::uniform_real_distribution<> distrib_real;
    float* data = new float[dim * n];
    for (int i = 0; i < dim * n; i++) data[i] = distrib_real(rng);
    return data;
}

}  // namespace

TEST(ExamplesStyle, SearchSaveLoad) {
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float>* alg_hnsw = new hnswlib::HierarchicalNSW<float>(&space, max_elements, M, ef_construction);
    float* data = example_data(max_elements, 47);
    for (int i = 0; i < max_elements; i++) alg_hnsw->addPoint(data + i * dim, i);

    float correct = 0;
    for (int i = 0; i < max_elements; i++) {
        std::priority_queue<std::pair<float, hnswlib::labeltype>> result = alg_hnsw->searchKnn(data + i * dim, 1);
        hnswlib::labeltype label = result.top().second;
        if (label == static_cast<hnswlib::labeltype>(i)) correct++;
    }
    float recall = correct / max_elements;
    EXPECT_GE(recall, 0.99f);

    TempPath hnsw_path("hnsw.bin");
    alg_hnsw->saveIndex(hnsw_path.str());
    delete alg_hnsw;

    alg_hnsw = new hnswlib::HierarchicalNSW<float>(&space, hnsw_path.str());
    correct = 0;
    for (int i = 0; i < max_elements; i++) {
        std::priority_queue<std::pair<float, hnswlib::labeltype>> result = alg_hnsw->searchKnn(data + i * dim, 1);
        if (result.top().second == static_cast<hnswlib::labeltype>(i)) correct++;
    }
    EXPECT_EQ((float)correct / max_elements, recall);
    delete[] data;
    delete alg_hnsw;
}

TEST(ExamplesStyle, Filter) {
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float>* alg_hnsw = new hnswlib::HierarchicalNSW<float>(&space, max_elements, M, ef_construction);
    float* data = example_data(max_elements, 47);
    for (int i = 0; i < max_elements; i++) alg_hnsw->addPoint(data + i * dim, i);
    PickDivisibleIds pickIdsDivisibleByTwo(2);
    int k = 10;
    int odd = 0;
    for (int i = 0; i < max_elements; i += 10) {
        std::vector<std::pair<float, hnswlib::labeltype>> result =
            alg_hnsw->searchKnnCloserFirst(data + i * dim, k, &pickIdsDivisibleByTwo);
        EXPECT_EQ(result.size(), static_cast<size_t>(k));
        for (auto item : result) odd += item.second % 2 == 1;
    }
    EXPECT_EQ(odd, 0);
    delete[] data;
    delete alg_hnsw;
}

TEST(ExamplesStyle, ReplaceDeleted) {
    int seed = 100;
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float>* alg_hnsw =
        new hnswlib::HierarchicalNSW<float>(&space, max_elements, M, ef_construction, seed, true);
    float* data = example_data(max_elements, 47);
    for (int i = 0; i < max_elements; i++) alg_hnsw->addPoint(data + i * dim, i);
    int num_deleted = max_elements / 2;
    for (int i = 0; i < num_deleted; i++) alg_hnsw->markDelete(i);
    float* add_data = example_data(num_deleted, 48);
    for (int i = 0; i < num_deleted; i++) {
        hnswlib::labeltype label = max_elements + i;
        alg_hnsw->addPoint(add_data + i * dim, label, true);
    }
    EXPECT_EQ(alg_hnsw->cur_element_count, max_elements);
    EXPECT_EQ(alg_hnsw->getDeletedCount(), 0u);
    int found = 0;
    for (int i = 0; i < num_deleted; i += 10) {
        found += alg_hnsw->searchKnn(add_data + i * dim, 1).top().second == hnswlib::labeltype(max_elements + i);
    }
    EXPECT_GE(found, num_deleted / 10 - 1);
    delete[] data;
    delete[] add_data;
    delete alg_hnsw;
}

TEST(ExamplesStyle, MultiThreadedAddAndSearch) {
    int num_threads = 4;
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float>* alg_hnsw = new hnswlib::HierarchicalNSW<float>(&space, max_elements, M, ef_construction);
    float* data = example_data(max_elements, 47);
    ParallelFor(0, max_elements, num_threads, [&](size_t row, size_t) { alg_hnsw->addPoint((void*)(data + dim * row), row); });
    EXPECT_EQ(alg_hnsw->cur_element_count, max_elements);

    std::vector<hnswlib::labeltype> neighbors(max_elements);
    ParallelFor(0, max_elements, num_threads, [&](size_t row, size_t) {
        std::priority_queue<std::pair<float, hnswlib::labeltype>> result = alg_hnsw->searchKnn(data + dim * row, 1);
        neighbors[row] = result.top().second;
    });
    float correct = 0;
    for (int i = 0; i < max_elements; i++) correct += neighbors[i] == hnswlib::labeltype(i);
    EXPECT_GE(correct / max_elements, 0.99f);

    // Filtered searches from threads, as example_mt_filter.
    PickDivisibleIds pickIdsDivisibleByTwo(2);
    std::atomic<int> odd{0};
    ParallelFor(0, max_elements, num_threads, [&](size_t row, size_t) {
        auto result = alg_hnsw->searchKnn(data + dim * row, 5, &pickIdsDivisibleByTwo);
        for (; !result.empty(); result.pop()) odd += result.top().second % 2;
    });
    EXPECT_EQ(odd.load(), 0);

    // An exception in a worker reaches the caller (capacity exceeded).
    EXPECT_THROW(ParallelFor(0, 10, num_threads,
                             [&](size_t row, size_t) { alg_hnsw->addPoint(data + dim * row, max_elements + row); }),
                 std::runtime_error);
    delete[] data;
    delete alg_hnsw;
}

TEST(ExamplesStyle, MultiThreadedReplaceAndSearchWhileAdding) {
    int num_threads = 4;
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float>* alg_hnsw =
        new hnswlib::HierarchicalNSW<float>(&space, max_elements, M, ef_construction, 100, true);
    float* data = example_data(max_elements, 47);
    float* add_data = example_data(max_elements / 2, 49);
    ParallelFor(0, max_elements / 2, num_threads, [&](size_t row, size_t) { alg_hnsw->addPoint(data + dim * row, row); });
    // Threads 0 and 1 add the second half while threads 2 and 3 search.
    std::atomic<size_t> searched{0};
    ParallelFor(0, max_elements, num_threads, [&](size_t row, size_t) {
        if (row % 2 == 0) {
            alg_hnsw->addPoint(data + dim * (max_elements / 2 + row / 2), max_elements / 2 + row / 2);
        } else {
            EXPECT_FALSE(alg_hnsw->searchKnn(data + dim * (row / 2), 3).empty());
            ++searched;
        }
    });
    EXPECT_EQ(alg_hnsw->cur_element_count, max_elements);
    ParallelFor(0, max_elements / 2, num_threads, [&](size_t row, size_t) { alg_hnsw->markDelete(row); });
    ParallelFor(0, max_elements / 2, num_threads,
                [&](size_t row, size_t) { alg_hnsw->addPoint(add_data + dim * row, max_elements + row, true); });
    EXPECT_EQ(alg_hnsw->getCurrentElementCount(), size_t(max_elements));
    EXPECT_EQ(alg_hnsw->getDeletedCount(), 0u);
    EXPECT_EQ(searched.load(), size_t(max_elements / 2));
    delete[] data;
    delete[] add_data;
    delete alg_hnsw;
}
