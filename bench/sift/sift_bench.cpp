// The SIFT shape of hnswlib's tests (u8 vectors, 128-d, integer squared L2 through L2SpaceI,
// HierarchicalNSW<int>) as one benchmark worker, written against hnswlib's C++ API only.
// The same file is compiled twice: against hnswlib's own headers and against hnswlib-rs's
// cpp/include (linked with libhnswlib); bench/bench.py runs the two binaries alternately.
//
//   sift_bench --base B.u8bin --queries Q.u8bin --gt G.i32bin --index PATH
//              [--k 10] [--M 16] [--efc 200] [--threads 2] [--nq-single 2000]
//
// Files: uint32 rows, uint32 columns, then the rows (u8 vectors; int32 ground-truth ids,
// closest first). It speaks bench/worker.py's line protocol: it builds the index with
// addPoint on --threads threads (wall and process CPU time, peak RSS growth), saves it to
// --index (file size), loads it into a new object (timed), removes the file and prints
//   {"event": "built", ...}
// then answers each "query <ef>" on standard input with
//   {"event": "query", "ef": .., "recall": .., "batch_s": .., ...}
// until "quit" or the end of input. batch: all queries, split over --threads threads
// (as hnswlib's Python knn_query does); single: the first --nq-single queries, one
// searchKnn call each, on one thread. recall@k counts the results whose exact distance
// (recomputed here from the vectors) is at most the k-th true neighbour's, so ties at the
// k-th distance, common with integer distances, count as hits.
#include "hnswlib/hnswlib.h"

#include <sys/stat.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "parallel_for.h"

// The Makefile names what the binary was compiled against.
#ifndef BENCH_VERSION
#define BENCH_VERSION "?"
#endif

namespace {

[[noreturn]] void fail(const std::string& message) {
    std::string quoted;
    for (char c : message) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += (c == '\n' ? ' ' : c);
    }
    std::printf("{\"event\": \"error\", \"error\": \"%s\"}\n", quoted.c_str());
    std::fflush(stdout);
    std::exit(1);
}

struct Matrix {
    uint32_t rows = 0, cols = 0;
    std::vector<char> bytes;
    template <class T>
    const T* row(size_t i) const {
        return reinterpret_cast<const T*>(bytes.data()) + i * cols;
    }
};

Matrix read_bin(const std::string& path, size_t elem) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open " + path);
    Matrix m;
    in.read(reinterpret_cast<char*>(&m.rows), 4);
    in.read(reinterpret_cast<char*>(&m.cols), 4);
    m.bytes.resize(static_cast<size_t>(m.rows) * m.cols * elem);
    if (!in.read(m.bytes.data(), static_cast<std::streamsize>(m.bytes.size()))) fail(path + ": truncated");
    return m;
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// A field of /proc/self/status in bytes (VmRSS, VmHWM).
double status_bytes(const std::string& field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.compare(0, field.size(), field) == 0) return 1024.0 * std::stod(line.substr(field.size()));
    fail("no " + field + " in /proc/self/status");
}

bool reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

int64_t l2(const unsigned char* a, const unsigned char* b, size_t dim) {
    int64_t s = 0;
    for (size_t j = 0; j < dim; ++j) {
        int64_t d = static_cast<int64_t>(a[j]) - static_cast<int64_t>(b[j]);
        s += d * d;
    }
    return s;
}

struct Args {
    std::string base, queries, gt, index;
    size_t k = 10, M = 16, efc = 200, threads = 2, nq_single = 2000;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string o = argv[i];
        if (i + 1 >= argc) fail(o + " needs a value");
        std::string v = argv[++i];
        if (o == "--base") a.base = v;
        else if (o == "--queries") a.queries = v;
        else if (o == "--gt") a.gt = v;
        else if (o == "--index") a.index = v;
        else if (o == "--k") a.k = std::stoul(v);
        else if (o == "--M") a.M = std::stoul(v);
        else if (o == "--efc") a.efc = std::stoul(v);
        else if (o == "--threads") a.threads = std::stoul(v);
        else if (o == "--nq-single") a.nq_single = std::stoul(v);
        else fail("unknown option " + o);
    }
    if (a.base.empty() || a.queries.empty() || a.gt.empty() || a.index.empty())
        fail("usage: sift_bench --base B.u8bin --queries Q.u8bin --gt G.i32bin --index PATH [--k --M --efc --threads --nq-single]");
    return a;
}

class Bench {
 public:
    explicit Bench(const Args& a)
        : a_(a), base_(read_bin(a.base, 1)), queries_(read_bin(a.queries, 1)), gt_(read_bin(a.gt, 4)),
          space_(base_.cols) {
        if (queries_.cols != base_.cols) fail("queries and base differ in dimension");
        if (gt_.rows != queries_.rows || gt_.cols < a.k) fail("ground truth does not match the queries and k");
        // The k-th true distance of every query: a result at most this far away is a hit.
        kth_.resize(queries_.rows);
        for (size_t q = 0; q < queries_.rows; ++q)
            kth_[q] = l2(queries_.row<unsigned char>(q),
                         base_.row<unsigned char>(static_cast<size_t>(gt_.row<int32_t>(q)[a.k - 1])), base_.cols);
    }

    void build() {
        size_t n = base_.rows;
        double rss0 = status_bytes("VmRSS:");
        bool peak_ok = reset_peak_rss();
        double c0 = cpu_seconds();
        auto t0 = Clock::now();
        index_ = new hnswlib::HierarchicalNSW<int>(&space_, n, a_.M, a_.efc);
        parallel_for(0, n, a_.threads, [&](size_t i) { index_->addPoint(base_.row<unsigned char>(i), i); });
        double build_s = since(t0), build_cpu_s = cpu_seconds() - c0;
        double peak = peak_ok ? (status_bytes("VmHWM:") - rss0) / 1048576.0 : -1;
        double retained = (status_bytes("VmRSS:") - rss0) / 1048576.0;

        t0 = Clock::now();
        index_->saveIndex(a_.index);
        double save_s = since(t0);
        struct stat st {};
        if (stat(a_.index.c_str(), &st) != 0) fail("saved index not found: " + a_.index);
        t0 = Clock::now();
        auto* loaded = new hnswlib::HierarchicalNSW<int>(&space_, a_.index, false, n);
        double load_s = since(t0);
        delete loaded;
        std::remove(a_.index.c_str());

        index_->setEf(a_.k);  // warm-up, untimed
        for (size_t q = 0; q < std::min<size_t>(queries_.rows, 1000); ++q)
            index_->searchKnn(queries_.row<unsigned char>(q), a_.k);
        std::printf(
            "{\"event\": \"built\", \"version\": \"%s\", \"build_s\": %.6f, \"build_cpu_s\": %.6f, "
            "\"mem_peak_mb\": %s, \"mem_retained_mb\": %.3f, \"save_s\": %.6f, \"file_mb\": %.6f, "
            "\"load_s\": %.6f}\n",
            BENCH_VERSION, build_s, build_cpu_s, peak_ok ? std::to_string(peak).c_str() : "null", retained, save_s,
            static_cast<double>(st.st_size) / 1048576.0, load_s);
        std::fflush(stdout);
    }

    void query(size_t ef) {
        size_t nq = queries_.rows, ns = std::min(a_.nq_single, nq), k = a_.k;
        std::vector<hnswlib::labeltype> batch(nq * k), single(ns * k);
        index_->setEf(ef);
        double c0 = cpu_seconds();
        auto t0 = Clock::now();
        parallel_for(0, nq, a_.threads, [&](size_t q) { take(q, batch); });
        double batch_s = since(t0), batch_cpu_s = cpu_seconds() - c0;
        c0 = cpu_seconds();
        t0 = Clock::now();
        for (size_t q = 0; q < ns; ++q) take(q, single);
        double single_s = since(t0), single_cpu_s = cpu_seconds() - c0;

        size_t agree = 0;
        for (size_t q = 0; q < ns; ++q)
            agree += std::equal(single.begin() + q * k, single.begin() + (q + 1) * k, batch.begin() + q * k);
        std::printf(
            "{\"event\": \"query\", \"ef\": %zu, \"recall\": %.6f, \"recall_single\": %.6f, "
            "\"single_agrees\": %.6f, \"batch_s\": %.6f, \"batch_cpu_s\": %.6f, \"single_s\": %.6f, "
            "\"single_cpu_s\": %.6f, \"nq\": %zu, \"nq_single\": %zu}\n",
            ef, recall(batch, nq), recall(single, ns), static_cast<double>(agree) / static_cast<double>(ns), batch_s,
            batch_cpu_s, single_s, single_cpu_s, nq, ns);
        std::fflush(stdout);
    }

 private:
    /// The k results of query q, closest first, into out[q*k ..]; missing ones are -1.
    void take(size_t q, std::vector<hnswlib::labeltype>& out) const {
        auto top = index_->searchKnn(queries_.row<unsigned char>(q), a_.k);
        size_t i = top.size();
        for (size_t j = i; j < a_.k; ++j) out[q * a_.k + j] = static_cast<hnswlib::labeltype>(-1);
        for (; !top.empty(); top.pop()) out[q * a_.k + --i] = top.top().second;
    }

    double recall(const std::vector<hnswlib::labeltype>& found, size_t nq) const {
        size_t hits = 0;
        for (size_t q = 0; q < nq; ++q) {
            for (size_t j = 0; j < a_.k; ++j) {
                hnswlib::labeltype label = found[q * a_.k + j];
                if (label < base_.rows && l2(queries_.row<unsigned char>(q), base_.row<unsigned char>(label),
                                             base_.cols) <= kth_[q])
                    ++hits;
            }
        }
        return static_cast<double>(hits) / static_cast<double>(nq * a_.k);
    }

    Args a_;
    Matrix base_, queries_, gt_;
    hnswlib::L2SpaceI space_;
    std::vector<int64_t> kth_;
    hnswlib::HierarchicalNSW<int>* index_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
    Args a = parse(argc, argv);
    try {
        Bench bench(a);
        bench.build();
        for (std::string line; std::getline(std::cin, line);) {
            std::istringstream words(line);
            std::string cmd;
            size_t ef = 0;
            words >> cmd;
            if (cmd.empty() || cmd == "quit") break;
            if (cmd != "query" || !(words >> ef)) fail("unknown command " + line);
            bench.query(ef);
        }
    } catch (const std::exception& e) {
        fail(e.what());
    }
    return 0;
}
