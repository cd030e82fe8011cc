// hnswlib/hnswlib.h: hnswlib's C++ API (0.8.0, and 0.6.2 which Debian ships) over
// hnswlib-rs. A program written for hnswlib switches by changing its include path to
// this directory's parent and linking libhnswlib (CMake: hnswlib::hnswlib_cpp).
//
// Offered, with hnswlib's signatures and defaults: labeltype, DISTFUNC, SpaceInterface
// (user subclasses with their own data size, distance function and parameter work),
// L2Space, InnerProductSpace, L2SpaceI, BaseFilterFunctor (non-const operator()),
// AlgorithmInterface, HierarchicalNSW<dist_t> (build, load and empty constructors,
// addPoint with replace_deleted, searchKnn, searchKnnCloserFirst, markDelete,
// unmarkDelete, resizeIndex, saveIndex, loadIndex, getDataByLabel, setEf, getMaxElements,
// getCurrentElementCount, getDeletedCount, indexFileSize, clear), BruteforceSearch<dist_t>
// (addPoint, removePoint, searchKnn, saveIndex, loadIndex) and writeBinaryPOD /
// readBinaryPOD. Range and multi-vector search as in hnswlib's stop_condition.h:
// BaseSearchStopCondition, EpsilonSearchStopCondition, MultiVectorSearchStopCondition,
// BaseMultiVectorSpace, MultiVectorL2Space and MultiVectorInnerProductSpace (an element is
// dim floats followed by its document id; queries may be the floats alone), with
// HierarchicalNSW::searchStopConditionClosest (which returns labels, where hnswlib
// returns internal ids), also with a BaseSearchStopCondition subclass of your own, and
// the functions on internal ids (the order elements were added or loaded, as in
// hnswlib): getDataByInternalId (a pointer into the index), getExternalLabel,
// isMarkedDeleted(tableint), and label_lookup_'s find(label)->second and at(label).
//
// Fields user code reads are objects that ask the index when read, so they convert to
// hnswlib's types: cur_element_count, max_elements_, ef_ (assigning it calls setEf),
// num_deleted_, M_, maxM_, maxM0_, ef_construction_, data_size_, allow_replace_deleted_,
// metric_hops and metric_distance_computations (both assignable, e.g. `= 0` before a
// measurement), and label_lookup_ for membership tests (find/end/count/size). For
// BruteforceSearch: cur_element_count, maxelements_ and data_size_.
//
// Not offered, because the index lives in the library and not in these objects: the
// graph internals (linkLists_, data_level0_memory_, element_levels_,
// enterpoint_node_, maxlevel_, the locks, visited_list_pool_, get_linklist*,
// setExternalLabel, markDeletedInternal, ...: nothing that writes by internal id), and
// hnswlib's free distance functions (L2Sqr, InnerProduct, ...); a space's
// get_dist_func() is the way to a distance. An internal id at or past
// cur_element_count is an InvalidArgumentError (hnswlib reads out of bounds).
//
// Stop-condition searches: EpsilonSearchStopCondition(epsilon, min, max) is the library's
// range search with min as the minimum number of results explored (the search also
// settles them as a k-NN search with ef = min does, where hnswlib stops as soon as it holds
// min results) and max as the most results returned. With a multi-vector space the index
// stores whole elements (the floats, then the document id), as hnswlib does, so
// saveIndex writes hnswlib's multi-vector file and loadIndex reads the ids back (from
// this library or hnswlib); the distance is the library's L2 or inner-product kernel on
// the floats, called through a custom space (a function call per distance more than
// L2Space). MultiVectorSearchStopCondition returns every vector found of the num_docs
// best documents (hnswlib keeps only those before the first vector of a further
// document). A condition of your own runs the search hnswlib runs, inside the library,
// calling your methods (remove_point_from_result gets the removed result's own distance,
// where hnswlib passes the candidate's); a subclass of EpsilonSearchStopCondition or
// MultiVectorSearchStopCondition counts as your own, so its overrides are called.
//
// Differences, all where hnswlib crashes or misbehaves: calls on an empty object (before
// loadIndex) throw instead of crashing; BruteforceSearch::searchKnn with k above the
// element count returns fewer results (hnswlib asserts); loading checks the file against
// the space (hnswlib does not); a replace-add with an existing label updates it instead
// of duplicating it; searchKnn with k 0 returns an empty queue. M above 10000 is capped
// with hnswlib's warning, and ef_construction below M is raised to M, as in hnswlib.
//
// Extras hnswlib lacks: index() gives the hnswlib::Index underneath (batch adds on all
// cores with progress and cancel, per-call ef, batch search, serialisation to memory,
// ids, metrics), searchKnn overloads with a per-call ef, and searches may run while other
// threads add, update or delete. All methods are thread-safe, resizeIndex included.
// Quantized storage is an extra last argument of the build and load constructors
// (hnswlib::Quantization::Sq8 or Sq4, for L2Space and InnerProductSpace: searches
// traverse 8-bit or 4-bit codes and re-rank exactly; the files stay hnswlib's), with
// setRerank(rerank) for the re-ranking depth; loadIndex keeps the object's storage mode.
//
// Errors are thrown as hnswlib::Error (derived from std::runtime_error, as hnswlib
// throws) with the library's message, which is hnswlib's wording where hnswlib has one.

#ifndef HNSWLIB_CPP_HNSWLIB_H
#define HNSWLIB_CPP_HNSWLIB_H

#include "index.h"

// What hnswlib's headers include, which its users rely on without including it.
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <fstream>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace hnswlib {

typedef size_t labeltype;
typedef unsigned int tableint;
typedef unsigned int linklistsizeint;
static_assert(sizeof(labeltype) == sizeof(uint64_t), "labeltype must be 64 bits");

/// A search filter: return true to accept a label. Called on the searching thread.
class BaseFilterFunctor {
 public:
    virtual bool operator()(hnswlib::labeltype id) {
        (void)id;
        return true;
    }
    virtual ~BaseFilterFunctor() {}
};

template <typename T>
class pairGreater {
 public:
    bool operator()(const T& p1, const T& p2) { return p1.first > p2.first; }
};

template <typename T>
static void writeBinaryPOD(std::ostream& out, const T& podRef) {
    out.write(reinterpret_cast<const char*>(&podRef), sizeof(T));
}

template <typename T>
static void readBinaryPOD(std::istream& in, T& podRef) {
    in.read(reinterpret_cast<char*>(&podRef), sizeof(T));
}

template <typename MTYPE>
using DISTFUNC = MTYPE (*)(const void*, const void*, const void*);

/// A space: element size, distance function and its parameter.
template <typename MTYPE>
class SpaceInterface {
 public:
    virtual size_t get_data_size() = 0;
    virtual DISTFUNC<MTYPE> get_dist_func() = 0;
    virtual void* get_dist_func_param() = 0;
    virtual ~SpaceInterface() {}
};

template <typename dist_t>
class AlgorithmInterface {
 public:
    virtual void addPoint(const void* datapoint, labeltype label, bool replace_deleted = false) = 0;

    /// The k nearest neighbours, farthest on top.
    virtual std::priority_queue<std::pair<dist_t, labeltype>> searchKnn(
        const void*, size_t, BaseFilterFunctor* isIdAllowed = nullptr) const = 0;

    /// The k nearest neighbours, closest first.
    virtual std::vector<std::pair<dist_t, labeltype>> searchKnnCloserFirst(
        const void* query_data, size_t k, BaseFilterFunctor* isIdAllowed = nullptr) const;

    virtual void saveIndex(const std::string& location) = 0;
    virtual ~AlgorithmInterface() {}
};

template <typename dist_t>
std::vector<std::pair<dist_t, labeltype>> AlgorithmInterface<dist_t>::searchKnnCloserFirst(
    const void* query_data, size_t k, BaseFilterFunctor* isIdAllowed) const {
    auto queue = searchKnn(query_data, k, isIdAllowed);
    std::vector<std::pair<dist_t, labeltype>> result(queue.size());
    for (size_t i = result.size(); i > 0; --i) {
        result[i - 1] = queue.top();
        queue.pop();
    }
    return result;
}

namespace detail {

/// The parameter of a built-in space's distance function. `dim` comes first, so that
/// `*(size_t*)space.get_dist_func_param()` is the dimension, as in hnswlib.
struct NativeDistParam {
    size_t dim;
    const hnsw_space* space;
};

inline float native_distance(const void* a, const void* b, const void* param) {
    auto* p = static_cast<const NativeDistParam*>(param);
    float d = 0;
    check(hnsw_space_distance(p->space, a, b, &d));
    return d;
}

inline int native_distance_int(const void* a, const void* b, const void* param) {
    return static_cast<int>(std::lround(native_distance(a, b, param)));
}

/// A space whose vectors the library knows (no callback per distance).
class NativeSpace {
 public:
    explicit NativeSpace(Space space) : space_(std::move(space)), param_{space_.dim(), space_.handle()} {}
    NativeSpace(const NativeSpace& o) : NativeSpace(o.space_) {}
    NativeSpace& operator=(const NativeSpace&) = delete;
    virtual ~NativeSpace() {}
    const Space& native_space() const noexcept { return space_; }
    /// The space the index is made with (a multi-vector space's differs: its elements
    /// hold a document id after the vector).
    virtual const Space& library_space() const noexcept { return space_; }

 protected:
    Space space_;
    NativeDistParam param_;
};

/// A distance of the library's type (float) from hnswlib's dist_t and back.
template <typename dist_t>
dist_t from_float(float d) {
    if (std::is_integral<dist_t>::value) return static_cast<dist_t>(std::llround(d));
    return static_cast<dist_t>(d);
}

/// The library's space for an hnswlib space: the built-in ones directly; any other
/// SpaceInterface through its DISTFUNC and parameter, which must outlive the index.
template <typename dist_t>
Space to_space(SpaceInterface<dist_t>* s) {
    if (s == nullptr) throw InvalidArgumentError("space: null pointer");
    if (auto* native = dynamic_cast<NativeSpace*>(s)) return native->library_space();
    size_t size = s->get_data_size();
    DISTFUNC<dist_t> f = s->get_dist_func();
    void* param = s->get_dist_func_param();
    if (f == nullptr) throw InvalidArgumentError("space: get_dist_func() returned a null function");
    if constexpr (std::is_same<dist_t, float>::value) {
        // DISTFUNC<float> is the C distance type: the library calls it directly.
        return Space::custom(size, f, param);
    } else {
        return Space::custom(size, [f, param](const void* a, const void* b) {
            return static_cast<float>(f(a, b, param));
        });
    }
}

/// A search with an hnswlib filter into buffers of `k` entries.
template <class Ops>
size_t search_filtered(const IndexBase<Ops>& index, const void* query, size_t k, BaseFilterFunctor* filter,
                       size_t ef, uint64_t* labels, float* distances) {
    FilterCall<BaseFilterFunctor> call{filter, {}};
    hnsw_search_options o{ef, 0, &filter_trampoline<BaseFilterFunctor>, &call, 0.0f, nullptr};
    size_t found = 0;
    hnsw_status st = Ops::knn(index.handle(), query, k, &o, labels, distances, k, &found);
    call.error.rethrow_if_pending();
    index.space().rethrow_callback_error();
    check(st);
    return found;
}

/// Runs a search with an optional hnswlib filter; `emit(i, label, distance)` gets each
/// result, closest first. Returns the number of results.
template <class Ops, class Emit>
size_t search_compat(const IndexBase<Ops>& index, const void* query, size_t k, BaseFilterFunctor* filter,
                     size_t ef, Emit&& emit) {
    if (k == 0) return 0;
    constexpr size_t kStack = 64;
    uint64_t stack_labels[kStack];
    float stack_distances[kStack];
    std::vector<uint64_t> heap_labels;
    std::vector<float> heap_distances;
    uint64_t* labels = stack_labels;
    float* distances = stack_distances;
    if (k > kStack) {
        heap_labels.resize(k);
        heap_distances.resize(k);
        labels = heap_labels.data();
        distances = heap_distances.data();
    }
    SearchOptions opts;
    opts.ef = ef;
    size_t found;
    if (filter == nullptr) {
        found = index.search_into(query, k, opts, labels, distances);
    } else {
        found = search_filtered(index, query, k, filter, ef, labels, distances);
    }
    for (size_t i = 0; i < found; ++i) emit(i, labels[i], distances[i]);
    return found;
}

template <typename dist_t, class Ops>
std::priority_queue<std::pair<dist_t, labeltype>> knn_queue(const IndexBase<Ops>& index, const void* query,
                                                            size_t k, BaseFilterFunctor* filter, size_t ef) {
    std::vector<std::pair<dist_t, labeltype>> v(k);
    size_t found = search_compat(index, query, k, filter, ef, [&](size_t i, uint64_t label, float d) {
        v[k - 1 - i] = std::make_pair(from_float<dist_t>(d), static_cast<labeltype>(label));
    });
    // Farthest first is already a max-heap, so the queue's make_heap moves nothing.
    v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k - found));
    return std::priority_queue<std::pair<dist_t, labeltype>>(std::less<std::pair<dist_t, labeltype>>(),
                                                             std::move(v));
}

template <typename dist_t, class Ops>
std::vector<std::pair<dist_t, labeltype>> knn_vector(const IndexBase<Ops>& index, const void* query, size_t k,
                                                     BaseFilterFunctor* filter, size_t ef) {
    std::vector<std::pair<dist_t, labeltype>> v;
    v.reserve(k);
    search_compat(index, query, k, filter, ef, [&](size_t, uint64_t label, float d) {
        v.emplace_back(from_float<dist_t>(d), static_cast<labeltype>(label));
    });
    return v;
}

/// A field of hnswlib's that reads (and, for some, writes) the index on access.
template <class Owner, class T>
class Field {
 public:
    using Getter = T (*)(const Owner&);
    Field(const Owner* owner, Getter get) : owner_(owner), get_(get) {}
    Field(const Field&) = delete;
    Field& operator=(const Field&) = delete;
    operator T() const { return get_(*owner_); }
    /// As std::atomic's load(), which hnswlib's atomic fields have.
    T load() const { return get_(*owner_); }
    friend std::ostream& operator<<(std::ostream& os, const Field& f) { return os << f.load(); }

 protected:
    const Owner* owner_;
    Getter get_;
};

/// A search counter (metric_hops, metric_distance_computations): reads the library's
/// counter minus an offset, so that assigning (e.g. 0) restarts the count from there.
template <class Owner>
class MetricField {
 public:
    using Getter = uint64_t (*)(const Owner&);
    MetricField(const Owner* owner, Getter get) : owner_(owner), get_(get) {}
    MetricField(const MetricField&) = delete;
    MetricField& operator=(const MetricField&) = delete;
    MetricField& operator=(long value) {
        base_.store(static_cast<long>(get_(*owner_)) - value);
        return *this;
    }
    operator long() const { return load(); }
    long load() const { return static_cast<long>(get_(*owner_)) - base_.load(); }
    friend std::ostream& operator<<(std::ostream& os, const MetricField& f) { return os << f.load(); }

 private:
    const Owner* owner_;
    Getter get_;
    std::atomic<long> base_{0};
};

}  // namespace detail

// ---- spaces ----------------------------------------------------------------------------

/// Squared Euclidean distance on `dim` floats.
class L2Space : public SpaceInterface<float>, public detail::NativeSpace {
 public:
    explicit L2Space(size_t dim) : NativeSpace(Space::l2(dim)) {}
    size_t get_data_size() override { return space_.element_size(); }
    DISTFUNC<float> get_dist_func() override { return &detail::native_distance; }
    void* get_dist_func_param() override { return &param_; }
};

/// Inner product distance 1 - dot(a, b) on `dim` floats.
class InnerProductSpace : public SpaceInterface<float>, public detail::NativeSpace {
 public:
    explicit InnerProductSpace(size_t dim) : NativeSpace(Space::ip(dim)) {}
    size_t get_data_size() override { return space_.element_size(); }
    DISTFUNC<float> get_dist_func() override { return &detail::native_distance; }
    void* get_dist_func_param() override { return &param_; }
};

/// Squared Euclidean distance on `dim` bytes (unsigned char), with int distances.
class L2SpaceI : public SpaceInterface<int>, public detail::NativeSpace {
 public:
    explicit L2SpaceI(size_t dim) : NativeSpace(Space::l2_u8(dim)) {}
    size_t get_data_size() override { return space_.element_size(); }
    DISTFUNC<int> get_dist_func() override { return &detail::native_distance_int; }
    void* get_dist_func_param() override { return &param_; }
};

// ---- stop conditions and multi-vector spaces (hnswlib's stop_condition.h) --------------

/// hnswlib's stop condition interface: subclass it and pass it to
/// searchStopConditionClosest. hnswlib's two conditions run as the library's range and
/// document searches; any other class (subclasses of those two included) is consulted by
/// the search as in hnswlib, through Index::search_stop_condition.
template <typename dist_t>
class BaseSearchStopCondition {
 public:
    virtual void add_point_to_result(labeltype label, const void* datapoint, dist_t dist) = 0;
    virtual void remove_point_from_result(labeltype label, const void* datapoint, dist_t dist) = 0;
    virtual bool should_stop_search(dist_t candidate_dist, dist_t lowerBound) = 0;
    virtual bool should_consider_candidate(dist_t candidate_dist, dist_t lowerBound) = 0;
    virtual bool should_remove_extra() = 0;
    virtual void filter_results(std::vector<std::pair<dist_t, labeltype>>& candidates) = 0;
    virtual ~BaseSearchStopCondition() {}
};

namespace detail {

/// What HierarchicalNSW needs of a multi-vector space: the document id in an element's
/// trailing bytes.
class DocIdReader {
 public:
    virtual uint64_t read_doc_id(const void* datapoint) const = 0;
    /// Bytes of the vector before the document id (what a query needs).
    virtual size_t vector_bytes() const = 0;
    /// Bytes of an element (vector and document id).
    virtual size_t element_bytes() const = 0;
    virtual ~DocIdReader() {}
};

/// Each label's document, kept beside an index of a multi-vector space.
struct DocMap {
    mutable std::shared_mutex mutex;
    std::unordered_map<uint64_t, uint64_t> docs;
    static uint64_t lookup(uint64_t label, void* user_data) {
        auto* m = static_cast<const DocMap*>(user_data);
        std::shared_lock<std::shared_mutex> lock(m->mutex);
        auto it = m->docs.find(label);
        return it == m->docs.end() ? UINT64_MAX : it->second;
    }
};

/// A multi-vector space: `dim` floats of `Space`, then a DOCIDTYPE. The index stores
/// whole elements, as hnswlib does (so its files are hnswlib's, document ids included):
/// a custom space of that size whose distance is the library's kernel on the floats.
template <typename DOCIDTYPE>
class MultiVectorSpace : public DocIdReader, public NativeSpace {
 public:
    MultiVectorSpace(Space space, const char* name)
        : NativeSpace(std::move(space)), vector_size_(space_.element_size()), name_(name), element_space_(make()) {}
    MultiVectorSpace(const MultiVectorSpace& o)
        : NativeSpace(o), vector_size_(o.vector_size_), name_(o.name_), element_space_(make()) {}
    uint64_t read_doc_id(const void* datapoint) const override {
        DOCIDTYPE id;
        std::memcpy(&id, static_cast<const char*>(datapoint) + vector_size_, sizeof(DOCIDTYPE));
        return static_cast<uint64_t>(id);
    }
    size_t vector_bytes() const override { return vector_size_; }
    size_t element_bytes() const override { return vector_size_ + sizeof(DOCIDTYPE); }
    const Space& library_space() const noexcept override { return element_space_; }

 protected:
    size_t vector_size_;

 private:
    Space make() const {
        return Space::custom(vector_size_ + sizeof(DOCIDTYPE), &native_distance, &param_)
            .named(std::string(name_) + "+docid" + std::to_string(8 * sizeof(DOCIDTYPE)));
    }
    const char* name_;
    Space element_space_;
};

}  // namespace detail

/// A space whose elements carry a document id after the vector.
template <typename DOCIDTYPE>
class BaseMultiVectorSpace : public SpaceInterface<float> {
 public:
    virtual DOCIDTYPE get_doc_id(const void* datapoint) = 0;
    virtual void set_doc_id(void* datapoint, DOCIDTYPE doc_id) = 0;
};

namespace detail {

/// hnswlib's multi-vector space interface over a built-in space of `dim` floats.
template <typename DOCIDTYPE>
class MultiVectorSpaceOf : public BaseMultiVectorSpace<DOCIDTYPE>, public MultiVectorSpace<DOCIDTYPE> {
 public:
    MultiVectorSpaceOf(Space space, const char* name) : MultiVectorSpace<DOCIDTYPE>(std::move(space), name) {}
    size_t get_data_size() override { return this->vector_size_ + sizeof(DOCIDTYPE); }
    DISTFUNC<float> get_dist_func() override { return &native_distance; }
    void* get_dist_func_param() override { return &this->param_; }
    DOCIDTYPE get_doc_id(const void* datapoint) override {
        return static_cast<DOCIDTYPE>(this->read_doc_id(datapoint));
    }
    void set_doc_id(void* datapoint, DOCIDTYPE doc_id) override {
        std::memcpy(static_cast<char*>(datapoint) + this->vector_size_, &doc_id, sizeof(DOCIDTYPE));
    }
};

}  // namespace detail

/// Squared L2 on `dim` floats followed by a DOCIDTYPE document id.
template <typename DOCIDTYPE>
class MultiVectorL2Space : public detail::MultiVectorSpaceOf<DOCIDTYPE> {
 public:
    explicit MultiVectorL2Space(size_t dim) : detail::MultiVectorSpaceOf<DOCIDTYPE>(Space::l2(dim), "multivector-l2") {}
};

/// Inner product distance 1 - dot on `dim` floats followed by a DOCIDTYPE document id.
template <typename DOCIDTYPE>
class MultiVectorInnerProductSpace : public detail::MultiVectorSpaceOf<DOCIDTYPE> {
 public:
    explicit MultiVectorInnerProductSpace(size_t dim)
        : detail::MultiVectorSpaceOf<DOCIDTYPE>(Space::ip(dim), "multivector-ip") {}
};

/// Range search: every element within `epsilon` (the raw distance, squared for L2),
/// exploring at least `min_num_candidates` results, returning at most
/// `max_num_candidates`.
template <typename dist_t>
class EpsilonSearchStopCondition : public BaseSearchStopCondition<dist_t> {
 public:
    EpsilonSearchStopCondition(float epsilon, size_t min_num_candidates, size_t max_num_candidates)
        : epsilon_(epsilon), min_num_candidates_(min_num_candidates), max_num_candidates_(max_num_candidates) {
        assert(min_num_candidates <= max_num_candidates);
    }
    void add_point_to_result(labeltype, const void*, dist_t) override { curr_num_items_ += 1; }
    void remove_point_from_result(labeltype, const void*, dist_t) override { curr_num_items_ -= 1; }
    bool should_stop_search(dist_t candidate_dist, dist_t lowerBound) override {
        return (candidate_dist > lowerBound && curr_num_items_ == max_num_candidates_) ||
               (candidate_dist > epsilon_ && curr_num_items_ >= min_num_candidates_);
    }
    bool should_consider_candidate(dist_t candidate_dist, dist_t lowerBound) override {
        return curr_num_items_ < max_num_candidates_ || lowerBound > candidate_dist;
    }
    bool should_remove_extra() override { return curr_num_items_ > max_num_candidates_; }
    void filter_results(std::vector<std::pair<dist_t, labeltype>>& candidates) override {
        while (!candidates.empty() && candidates.back().first > epsilon_) candidates.pop_back();
        while (candidates.size() > max_num_candidates_) candidates.pop_back();
    }

    float epsilon() const { return epsilon_; }
    size_t min_num_candidates() const { return min_num_candidates_; }
    size_t max_num_candidates() const { return max_num_candidates_; }

 private:
    float epsilon_;
    size_t min_num_candidates_;
    size_t max_num_candidates_;
    size_t curr_num_items_ = 0;
};

/// Multi-vector search: the `num_docs_to_search` best documents, collecting results
/// from `ef_collection` (at least num_docs_to_search) documents.
template <typename DOCIDTYPE, typename dist_t>
class MultiVectorSearchStopCondition : public BaseSearchStopCondition<dist_t> {
 public:
    MultiVectorSearchStopCondition(BaseMultiVectorSpace<DOCIDTYPE>& space, size_t num_docs_to_search,
                                   size_t ef_collection = 10)
        : space_(space),
          num_docs_to_search_(num_docs_to_search),
          ef_collection_(std::max(ef_collection, num_docs_to_search)) {}
    void add_point_to_result(labeltype, const void* datapoint, dist_t dist) override {
        DOCIDTYPE doc = space_.get_doc_id(datapoint);
        if (doc_counter_[doc]++ == 0) curr_num_docs_ += 1;
        search_results_.emplace(dist, doc);
    }
    void remove_point_from_result(labeltype, const void* datapoint, dist_t) override {
        DOCIDTYPE doc = space_.get_doc_id(datapoint);
        if (--doc_counter_[doc] == 0) curr_num_docs_ -= 1;
        search_results_.pop();
    }
    bool should_stop_search(dist_t candidate_dist, dist_t lowerBound) override {
        return candidate_dist > lowerBound && curr_num_docs_ == ef_collection_;
    }
    bool should_consider_candidate(dist_t candidate_dist, dist_t lowerBound) override {
        return curr_num_docs_ < ef_collection_ || lowerBound > candidate_dist;
    }
    bool should_remove_extra() override { return curr_num_docs_ > ef_collection_; }
    void filter_results(std::vector<std::pair<dist_t, labeltype>>& candidates) override {
        while (curr_num_docs_ > num_docs_to_search_ && !candidates.empty() && !search_results_.empty()) {
            DOCIDTYPE doc = search_results_.top().second;
            if (--doc_counter_[doc] == 0) curr_num_docs_ -= 1;
            search_results_.pop();
            candidates.pop_back();
        }
    }

    size_t num_docs_to_search() const { return num_docs_to_search_; }
    size_t ef_collection() const { return ef_collection_; }

 private:
    BaseMultiVectorSpace<DOCIDTYPE>& space_;
    size_t num_docs_to_search_;
    size_t ef_collection_;
    size_t curr_num_docs_ = 0;
    std::unordered_map<DOCIDTYPE, size_t> doc_counter_;
    std::priority_queue<std::pair<dist_t, DOCIDTYPE>> search_results_;
};

namespace detail {

/// What searchStopConditionClosest runs: the library's range or document search for
/// hnswlib's two conditions (exactly those classes: a subclass may override their
/// methods, so it runs as a condition of its own), else the condition itself.
struct StopParams {
    enum Kind { Own, Epsilon, Docs } kind = Own;
    float eps = 0;
    size_t min = 0, max = 0;   // epsilon
    size_t docs = 0, ef = 0;   // multi-vector
};

template <typename dist_t, typename DOCIDTYPE>
bool multi_vector_params(BaseSearchStopCondition<dist_t>& c, StopParams& p) {
    using M = MultiVectorSearchStopCondition<DOCIDTYPE, dist_t>;
    auto* m = dynamic_cast<M*>(&c);
    if (m == nullptr || typeid(c) != typeid(M)) return false;
    p.kind = StopParams::Docs;
    p.docs = m->num_docs_to_search();
    p.ef = m->ef_collection();
    return true;
}

template <typename dist_t>
StopParams stop_params(BaseSearchStopCondition<dist_t>& c) {
    StopParams p;
    auto* e = dynamic_cast<EpsilonSearchStopCondition<dist_t>*>(&c);
    if (e != nullptr && typeid(c) == typeid(EpsilonSearchStopCondition<dist_t>)) {
        p.kind = StopParams::Epsilon;
        p.eps = e->epsilon();
        p.min = e->min_num_candidates();
        p.max = e->max_num_candidates();
        return p;
    }
    if (multi_vector_params<dist_t, unsigned int>(c, p) || multi_vector_params<dist_t, int>(c, p) ||
        multi_vector_params<dist_t, size_t>(c, p) || multi_vector_params<dist_t, unsigned long long>(c, p) ||
        multi_vector_params<dist_t, long long>(c, p) || multi_vector_params<dist_t, long>(c, p) ||
        multi_vector_params<dist_t, unsigned short>(c, p) || multi_vector_params<dist_t, unsigned char>(c, p)) {
        return p;
    }
    return p;
}

/// A user's BaseSearchStopCondition<dist_t> as the library's SearchStopCondition
/// (filter_results is called by searchStopConditionClosest on hnswlib's pairs).
template <typename dist_t>
class OwnStop : public SearchStopCondition {
 public:
    explicit OwnStop(BaseSearchStopCondition<dist_t>& c) : c_(c) {}
    void add_point_to_result(uint64_t label, const void* element, float dist) override {
        c_.add_point_to_result(static_cast<labeltype>(label), element, from_float<dist_t>(dist));
    }
    void remove_point_from_result(uint64_t label, const void* element, float dist) override {
        c_.remove_point_from_result(static_cast<labeltype>(label), element, from_float<dist_t>(dist));
    }
    bool should_stop_search(float candidate_dist, float lower_bound) override {
        return c_.should_stop_search(from_float<dist_t>(candidate_dist), bound<dist_t>(lower_bound));
    }
    bool should_consider_candidate(float candidate_dist, float lower_bound) override {
        return c_.should_consider_candidate(from_float<dist_t>(candidate_dist), bound<dist_t>(lower_bound));
    }
    bool should_remove_extra() override { return c_.should_remove_extra(); }

 private:
    /// The lower bound as dist_t: FLT_MAX (no result yet) is dist_t's largest value, as
    /// hnswlib's std::numeric_limits<dist_t>::max().
    template <typename T>
    static T bound(float b) {
        if (b >= std::numeric_limits<float>::max()) return std::numeric_limits<T>::max();
        return from_float<T>(b);
    }
    BaseSearchStopCondition<dist_t>& c_;
};

/// A query for an index of a multi-vector space: the library reads whole elements,
/// so a query of the vector alone (which hnswlib accepts) is copied into `buf` with a
/// zero document id. Other spaces: the query itself.
inline const void* element_query(const DocIdReader* mv, const void* query, std::vector<char>& buf) {
    if (mv == nullptr) return query;
    buf.assign(mv->element_bytes(), 0);
    std::memcpy(buf.data(), query, mv->vector_bytes());
    return buf.data();
}

}  // namespace detail

// ---- HierarchicalNSW -------------------------------------------------------------------

/// hnswlib's HNSW index. Not copyable or movable (as hnswlib's); index() gives the
/// hnswlib::Index underneath.
template <typename dist_t>
class HierarchicalNSW : public AlgorithmInterface<dist_t> {
    using Self = HierarchicalNSW<dist_t>;

 public:
    /// An empty object; call loadIndex before anything else.
    explicit HierarchicalNSW(SpaceInterface<dist_t>* s) { (void)s; }

    /// Loads an index file; `nmslib` is ignored, as in hnswlib. `quantization` (not in
    /// hnswlib) loads it into a quantized index, which codes the file's vectors.
    HierarchicalNSW(SpaceInterface<dist_t>* s, const std::string& location, bool nmslib = false,
                    size_t max_elements = 0, bool allow_replace_deleted = false,
                    Quantization quantization = Quantization::None) {
        (void)nmslib;
        load(location, s, max_elements, allow_replace_deleted, quantization, true);
    }

    /// A new empty index with room for `max_elements`. `quantization` (not in hnswlib):
    /// searches traverse 8-bit or 4-bit codes of the vectors and re-rank the best
    /// candidates exactly (see setRerank); the vectors are kept, so saveIndex writes
    /// hnswlib's file. InvalidArgumentError for a space that is not L2Space or
    /// InnerProductSpace.
    HierarchicalNSW(SpaceInterface<dist_t>* s, size_t max_elements, size_t M = 16, size_t ef_construction = 200,
                    size_t random_seed = 100, bool allow_replace_deleted = false,
                    Quantization quantization = Quantization::None) {
        if (M > 10000) {
            std::cerr << "warning: M parameter exceeds 10000 which may lead to adverse effects." << std::endl;
            std::cerr << "         Cap to 10000 will be applied for the rest of the processing." << std::endl;
            M = 10000;
        }
        IndexParams p;
        p.max_elements = max_elements;
        p.M = M;
        p.ef_construction = std::max(ef_construction, M);
        p.random_seed = random_seed;
        p.allow_replace_deleted = allow_replace_deleted;
        p.quantization = quantization;
        index_ = Index(detail::to_space(s), p);
        doc_reader_ = dynamic_cast<detail::DocIdReader*>(s);
    }

    /// The hnswlib API over an index made with the C++ API (e.g. built with
    /// Index::add_batch on all cores, or from bytes). Its space must compute dist_t
    /// distances (float spaces for HierarchicalNSW<float>).
    explicit HierarchicalNSW(Index index) : index_(std::move(index)) {}

    HierarchicalNSW(const HierarchicalNSW&) = delete;
    HierarchicalNSW& operator=(const HierarchicalNSW&) = delete;
    ~HierarchicalNSW() override {}

    /// Frees the index; the object is empty afterwards, as after HierarchicalNSW(space).
    void clear() {
        index_ = Index();
        std::unique_lock<std::shared_mutex> lock(docs_->mutex);
        docs_->docs.clear();
    }

    void addPoint(const void* data_point, labeltype label, bool replace_deleted = false) override {
        index_.add(data_point, label, replace_deleted);
        if (doc_reader_ != nullptr) {
            uint64_t doc = doc_reader_->read_doc_id(data_point);
            std::unique_lock<std::shared_mutex> lock(docs_->mutex);
            docs_->docs[label] = doc;
        }
    }

    /// hnswlib's search under a stop condition, closest first: with an
    /// EpsilonSearchStopCondition every element within epsilon (at most its max), with a
    /// MultiVectorSearchStopCondition every vector found of the best documents (both run
    /// as the library's range and document searches), and with any other condition
    /// (your own subclass of BaseSearchStopCondition) the search hnswlib runs, that
    /// condition deciding, then its filter_results. The pairs hold labels (hnswlib's
    /// hold internal ids).
    std::vector<std::pair<dist_t, labeltype>> searchStopConditionClosest(
        const void* query_data, BaseSearchStopCondition<dist_t>& stop_condition,
        BaseFilterFunctor* isIdAllowed = nullptr) const {
        detail::StopParams p = detail::stop_params(stop_condition);
        SearchOptions opts;
        if (isIdAllowed != nullptr) opts.filter = [isIdAllowed](uint64_t l) { return (*isIdAllowed)(l); };
        std::vector<char> buf;
        const void* query = detail::element_query(doc_reader_, query_data, buf);
        std::vector<std::pair<dist_t, labeltype>> out;
        if (p.kind == detail::StopParams::Epsilon) {
            opts.ef = p.min;
            for (const Neighbor& n : index_.range_search(query, p.eps, p.max, opts))
                out.emplace_back(detail::from_float<dist_t>(n.distance), static_cast<labeltype>(n.label));
            return out;
        }
        if (p.kind == detail::StopParams::Own) {
            detail::OwnStop<dist_t> own(stop_condition);
            for (const Neighbor& n : index_.search_stop_condition(query, own, opts))
                out.emplace_back(detail::from_float<dist_t>(n.distance), static_cast<labeltype>(n.label));
            stop_condition.filter_results(out);
            return out;
        }
        if (doc_reader_ == nullptr)
            throw InvalidArgumentError(
                "searchStopConditionClosest: a MultiVectorSearchStopCondition needs an index made with a "
                "multi-vector space (MultiVectorL2Space or MultiVectorInnerProductSpace)");
        opts.ef = p.ef;
        for (const DocHit& h : index_.search_doc_hits(query, p.docs, &detail::DocMap::lookup, docs_.get(), opts))
            out.emplace_back(detail::from_float<dist_t>(h.distance), static_cast<labeltype>(h.label));
        return out;
    }

    std::priority_queue<std::pair<dist_t, labeltype>> searchKnn(const void* query_data, size_t k,
                                                                BaseFilterFunctor* isIdAllowed = nullptr) const override {
        std::vector<char> buf;
        return detail::knn_queue<dist_t>(index_, detail::element_query(doc_reader_, query_data, buf), k, isIdAllowed,
                                     0);
    }
    /// searchKnn with this call's ef (0: the index's ef).
    std::priority_queue<std::pair<dist_t, labeltype>> searchKnn(const void* query_data, size_t k,
                                                                BaseFilterFunctor* isIdAllowed, size_t ef) const {
        std::vector<char> buf;
        return detail::knn_queue<dist_t>(index_, detail::element_query(doc_reader_, query_data, buf), k, isIdAllowed,
                                     ef);
    }
    std::vector<std::pair<dist_t, labeltype>> searchKnnCloserFirst(
        const void* query_data, size_t k, BaseFilterFunctor* isIdAllowed = nullptr) const override {
        std::vector<char> buf;
        return detail::knn_vector<dist_t>(index_, detail::element_query(doc_reader_, query_data, buf), k, isIdAllowed,
                                     0);
    }
    /// searchKnnCloserFirst with this call's ef (0: the index's ef).
    std::vector<std::pair<dist_t, labeltype>> searchKnnCloserFirst(const void* query_data, size_t k,
                                                                   BaseFilterFunctor* isIdAllowed, size_t ef) const {
        std::vector<char> buf;
        return detail::knn_vector<dist_t>(index_, detail::element_query(doc_reader_, query_data, buf), k, isIdAllowed,
                                     ef);
    }

    void markDelete(labeltype label) { index_.mark_deleted(label); }
    void unmarkDelete(labeltype label) { index_.unmark_deleted(label); }
    void resizeIndex(size_t new_max_elements) { index_.resize(new_max_elements); }
    void setEf(size_t ef) { index_.set_ef(ef); }
    /// Re-ranking depth of a quantized index (not in hnswlib): searches re-score the best
    /// rerank * k candidates with exact distances. See Index::set_rerank.
    void setRerank(float rerank) { index_.set_rerank(rerank); }
    size_t getMaxElements() const { return index_.max_elements(); }
    size_t getCurrentElementCount() const { return index_.size(); }
    size_t getDeletedCount() const { return index_.deleted_count(); }
    size_t indexFileSize() const { return index_.serialized_size(); }
    /// hnswlib's graph check: every link list fits, names elements of its level, never
    /// the element itself, never one element twice. Prints what hnswlib prints; a
    /// violation is a FormatError naming it (hnswlib asserts).
    void checkIntegrity() const {
        std::cout << "integrity ok, checked " << index_.check_integrity() << " connections\n";
    }

    /// The stored vector of `label` as data_t values (LabelNotFoundError, a
    /// std::runtime_error, for an unknown or deleted label).
    /// With a multi-vector space, the vector without its document id (hnswlib returns
    /// the dimension's count of values).
    template <typename data_t>
    std::vector<data_t> getDataByLabel(labeltype label) const {
        size_t size = index_.space().element_size();
        std::vector<char> bytes(size);
        uint64_t l = label;
        index_.get_items_into(&l, 1, bytes.data(), size);
        return values<data_t>(bytes.data());
    }

    // Internal ids (hnswlib's tableint): the order elements were added or loaded, as in
    // hnswlib. An id at or past cur_element_count is an InvalidArgumentError.

    /// The stored element of internal id `internal_id` (deleted elements too), a
    /// pointer into the index as hnswlib's: valid until resizeIndex, loadIndex, clear,
    /// the object's destruction, or an addPoint that needs more room than is allocated
    /// (an index built with max_elements has it all; a loaded one grows on demand, so
    /// any addPoint may). Its bytes change when the element is updated or its slot is
    /// reused by a replace-deleted addPoint. index().vector_at(id) gives a copy. With a
    /// multi-vector space the element holds its document id after the vector, as in
    /// hnswlib.
    char* getDataByInternalId(tableint internal_id) const {
        return static_cast<char*>(const_cast<void*>(index_.vector_ptr_at(internal_id)));
    }
    /// The label of internal id `internal_id`.
    labeltype getExternalLabel(tableint internal_id) const {
        return static_cast<labeltype>(index_.label_at(internal_id));
    }
    /// Whether internal id `internal_id` is marked deleted.
    bool isMarkedDeleted(tableint internal_id) const { return index_.is_deleted_at(internal_id); }

    void saveIndex(const std::string& location) override { index_.save(location); }
    void loadIndex(const std::string& location, SpaceInterface<dist_t>* s, size_t max_elements_i = 0) {
        load(location, s, max_elements_i, index_ ? index_.allow_replace_deleted() : false,
             index_ ? index_.quantization() : Quantization::None, index_ ? index_.keeps_vectors() : true);
    }

    /// The hnswlib::Index underneath, for what hnswlib's C++ API lacks.
    Index& index() noexcept { return index_; }
    const Index& index() const noexcept { return index_; }

    // hnswlib's public fields, read from the index on access.
    detail::Field<Self, size_t> cur_element_count{this, [](const Self& h) { return h.index_.size(); }};
    detail::Field<Self, size_t> max_elements_{this, [](const Self& h) { return h.index_.max_elements(); }};
    detail::Field<Self, size_t> num_deleted_{this, [](const Self& h) { return h.index_.deleted_count(); }};
    detail::Field<Self, size_t> M_{this, [](const Self& h) { return h.index_.M(); }};
    detail::Field<Self, size_t> maxM_{this, [](const Self& h) { return h.index_.M(); }};
    detail::Field<Self, size_t> maxM0_{this, [](const Self& h) { return 2 * h.index_.M(); }};
    detail::Field<Self, size_t> ef_construction_{this, [](const Self& h) { return h.index_.ef_construction(); }};
    detail::Field<Self, bool> allow_replace_deleted_{this,
                                                     [](const Self& h) { return h.index_.allow_replace_deleted(); }};
    detail::Field<Self, size_t> data_size_{this, [](const Self& h) { return h.index_.space().element_size(); }};
    /// hnswlib's ef_: reads the index's ef; assigning sets it.
    class EfField : public detail::Field<Self, size_t> {
     public:
        using detail::Field<Self, size_t>::Field;
        EfField& operator=(size_t ef) {
            const_cast<Self*>(this->owner_)->setEf(ef);
            return *this;
        }
    };
    EfField ef_{this, [](const Self& h) { return h.index_.ef(); }};
    /// hnswlib's label_lookup_ (label -> internal id), read-only: find(label) gives an
    /// iterator whose ->first is the label and ->second its internal id (== end() when
    /// absent), at(label) the internal id (LabelNotFoundError when absent), count(label),
    /// size(), empty(). Deleted labels are found, as in hnswlib.
    class LabelLookup {
     public:
        struct const_iterator {
            std::pair<labeltype, tableint> entry;
            bool found;
            bool operator==(const const_iterator& o) const {
                return found == o.found && (!found || entry.first == o.entry.first);
            }
            bool operator!=(const const_iterator& o) const { return !(*this == o); }
            const std::pair<labeltype, tableint>* operator->() const { return &entry; }
            const std::pair<labeltype, tableint>& operator*() const { return entry; }
        };
        using iterator = const_iterator;
        explicit LabelLookup(const Self* owner) : owner_(owner) {}
        LabelLookup(const LabelLookup&) = delete;
        LabelLookup& operator=(const LabelLookup&) = delete;
        const_iterator find(labeltype label) const {
            try {
                return {{label, owner_->index_.internal_id(label)}, true};
            } catch (const LabelNotFoundError&) {
                return end();
            }
        }
        const_iterator end() const { return {{0, 0}, false}; }
        tableint at(labeltype label) const { return owner_->index_.internal_id(label); }
        size_t count(labeltype label) const { return owner_->index_.contains(label) ? 1 : 0; }
        size_t size() const { return owner_->index_.size(); }
        bool empty() const { return size() == 0; }

     private:
        const Self* owner_;
    };
    LabelLookup label_lookup_{this};
    detail::MetricField<Self> metric_hops{this, [](const Self& h) { return h.index_.metrics().hops; }};
    detail::MetricField<Self> metric_distance_computations{
        this, [](const Self& h) { return h.index_.metrics().distance_computations; }};

 private:
    void load(const std::string& location, SpaceInterface<dist_t>* s, size_t max_elements,
              bool allow_replace_deleted, Quantization quantization, bool keep_vectors) {
        LoadOptions o;
        o.max_elements = max_elements;
        o.allow_replace_deleted = allow_replace_deleted;
        o.quantization = quantization;
        o.keep_vectors = keep_vectors;
        index_ = Index::load(location, detail::to_space(s), o);
        doc_reader_ = dynamic_cast<detail::DocIdReader*>(s);
        std::unique_lock<std::shared_mutex> lock(docs_->mutex);
        docs_->docs.clear();
        if (doc_reader_ == nullptr) return;
        // The document ids are in the elements, as hnswlib stores them.
        std::vector<char> element(doc_reader_->element_bytes());
        size_t n = index_.size();
        for (size_t id = 0; id < n; ++id) {
            index_.vector_at_into(id, element.data(), element.size());
            docs_->docs[index_.label_at(id)] = doc_reader_->read_doc_id(element.data());
        }
    }

    /// The values hnswlib's getDataByLabel returns from an element's bytes.
    template <typename data_t>
    std::vector<data_t> values(const char* element) const {
        size_t bytes = doc_reader_ ? doc_reader_->vector_bytes() : index_.space().element_size();
        std::vector<data_t> out(bytes / sizeof(data_t));
        std::memcpy(out.data(), element, out.size() * sizeof(data_t));
        return out;
    }

    Index index_;
    /// With a multi-vector space: reads an element's document id; docs_ keeps them.
    detail::DocIdReader* doc_reader_ = nullptr;
    std::unique_ptr<detail::DocMap> docs_ = std::make_unique<detail::DocMap>();
};

// ---- BruteforceSearch ------------------------------------------------------------------

/// hnswlib's exact index. Not copyable or movable (as hnswlib's); index() gives the
/// hnswlib::BruteForce underneath.
template <typename dist_t>
class BruteforceSearch : public AlgorithmInterface<dist_t> {
    using Self = BruteforceSearch<dist_t>;

 public:
    /// An empty object; call loadIndex before anything else.
    explicit BruteforceSearch(SpaceInterface<dist_t>* s) { (void)s; }
    /// Loads a file written by saveIndex (here or by hnswlib).
    BruteforceSearch(SpaceInterface<dist_t>* s, const std::string& location) { loadIndex(location, s); }
    /// A new empty index with room for `maxElements`.
    BruteforceSearch(SpaceInterface<dist_t>* s, size_t maxElements)
        : index_(detail::to_space(s), maxElements), multi_vector_(dynamic_cast<detail::DocIdReader*>(s)) {}

    BruteforceSearch(const BruteforceSearch&) = delete;
    BruteforceSearch& operator=(const BruteforceSearch&) = delete;
    ~BruteforceSearch() override {}

    /// Adds or overwrites `label`; `replace_deleted` is ignored, as in hnswlib.
    void addPoint(const void* datapoint, labeltype label, bool replace_deleted = false) override {
        (void)replace_deleted;
        index_.add(datapoint, label);
    }
    /// Removes `label`; an unknown label is ignored, as in hnswlib.
    void removePoint(labeltype cur_external) {
        try {
            index_.remove(cur_external);
        } catch (const LabelNotFoundError&) {
        }
    }
    std::priority_queue<std::pair<dist_t, labeltype>> searchKnn(const void* query_data, size_t k,
                                                                BaseFilterFunctor* isIdAllowed = nullptr) const override {
        std::vector<char> buf;
        return detail::knn_queue<dist_t>(index_, detail::element_query(multi_vector_, query_data, buf), k, isIdAllowed, 0);
    }
    std::vector<std::pair<dist_t, labeltype>> searchKnnCloserFirst(
        const void* query_data, size_t k, BaseFilterFunctor* isIdAllowed = nullptr) const override {
        std::vector<char> buf;
        return detail::knn_vector<dist_t>(index_, detail::element_query(multi_vector_, query_data, buf), k, isIdAllowed, 0);
    }
    void saveIndex(const std::string& location) override { index_.save(location); }
    void loadIndex(const std::string& location, SpaceInterface<dist_t>* s) {
        index_ = BruteForce::load(location, detail::to_space(s));
        multi_vector_ = dynamic_cast<detail::DocIdReader*>(s);
    }

    /// The hnswlib::BruteForce underneath.
    BruteForce& index() noexcept { return index_; }
    const BruteForce& index() const noexcept { return index_; }

    detail::Field<Self, size_t> cur_element_count{this, [](const Self& b) { return b.index_.size(); }};
    detail::Field<Self, size_t> maxelements_{this, [](const Self& b) { return b.index_.max_elements(); }};
    detail::Field<Self, size_t> data_size_{this, [](const Self& b) { return b.index_.space().element_size(); }};

 private:
    BruteForce index_;
    /// With a multi-vector space: queries of the vector alone are padded to elements.
    detail::DocIdReader* multi_vector_ = nullptr;
};

}  // namespace hnswlib

#endif  // HNSWLIB_CPP_HNSWLIB_H
