"""hnswlib-rs on Apache Spark, from pyspark.

Wrappers of the JVM classes of the jar ``io.github.hnswlibrs:hnswlib-rs-spark`` (Spark ML's
``JavaEstimator``/``JavaModel`` style): :class:`HnswSimilarity` builds one hnswlib-rs index per
partition on the executors, :class:`HnswSimilarityModel` answers k-NN queries against all the
shards and merges their top k. The jars must be on Spark's class path (``--jars`` or
``--packages``, or ``spark.jars``); the native library travels inside ``hnswlib-rs-0.1.0.jar``::

    spark = (SparkSession.builder
             .config("spark.jars", "hnswlib-rs-spark-0.1.0.jar,hnswlib-rs-0.1.0.jar")
             .getOrCreate())
    from hnswlib_rs.spark import HnswSimilarity
    model = HnswSimilarity(identifierCol="id", featuresCol="features", k=10,
                           numPartitions=4).fit(items)
    model.transform(queries)   # + "prediction": array<struct<id: bigint, distance: float>>

Needs pyspark 3.5 (``pip install "hnswlib-rs[spark]"``); nothing here is imported by
``import hnswlib_rs``.
"""

import sys
from typing import Any, Dict, Optional, TypeVar

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import JavaMLReadable, JavaMLReader, JavaMLWritable
from pyspark.ml.wrapper import JavaEstimator, JavaModel, JavaWrapper

__all__ = ["HnswSimilarity", "HnswSimilarityModel", "JAVA17_OPTIONS"]

_JAVA_PACKAGE = "io.github.hnswlibrs.spark"
_S = TypeVar("_S", bound="_HnswSimilarityParams")

#: The JVM options Spark 3.5 needs on Java 17 (the list its launcher adds, JavaModuleOptions),
#: e.g. for ``spark.driver.extraJavaOptions`` where the driver is not started by pyspark's or
#: spark-submit's launcher; setting them again is harmless.
JAVA17_OPTIONS = " ".join(
    ["-XX:+IgnoreUnrecognizedVMOptions", "-Djdk.reflect.useDirectMethodHandle=false"]
    + [f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
        "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref",
        "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar")])


def _new_java_obj(class_name: str, *args: Any) -> Any:
    """The JVM object, or an error that says which jars Spark lacks."""
    try:
        return JavaWrapper._new_java_obj(class_name, *args)
    except TypeError as e:
        # py4j turns an unknown class into a JavaPackage, which "is not callable".
        if "JavaPackage" not in str(e):
            raise
        raise RuntimeError(
            f"{class_name} is not on Spark's class path: start Spark with the jars "
            "hnswlib-rs-spark-0.1.0.jar and hnswlib-rs-0.1.0.jar (spark.jars, spark-submit --jars, "
            "or --packages io.github.hnswlibrs:hnswlib-rs-spark:0.1.0)"
        ) from None


class _HnswSimilarityParams(Params):
    """The parameters of both stages, as the JVM classes define them."""

    identifierCol: "Param[str]" = Param(
        Params._dummy(), "identifierCol", "column of the item identifiers (int, bigint or string)",
        typeConverter=TypeConverters.toString)
    featuresCol: "Param[str]" = Param(
        Params._dummy(), "featuresCol",
        "column of the vectors (Vector, array<float> or array<double>)",
        typeConverter=TypeConverters.toString)
    predictionCol: "Param[str]" = Param(
        Params._dummy(), "predictionCol",
        "output column: array<struct<id: bigint or string, distance: float>>, closest first",
        typeConverter=TypeConverters.toString)
    distanceFunction: "Param[str]" = Param(
        Params._dummy(), "distanceFunction", "distance: cosine, ip, l2",
        typeConverter=TypeConverters.toString)
    k: "Param[int]" = Param(Params._dummy(), "k", "neighbours per query (> 0)",
                            typeConverter=TypeConverters.toInt)
    m: "Param[int]" = Param(Params._dummy(), "m", "hnswlib's M, links per node (> 1)",
                            typeConverter=TypeConverters.toInt)
    ef: "Param[int]" = Param(Params._dummy(), "ef", "hnswlib's ef at query time (raised to k)",
                             typeConverter=TypeConverters.toInt)
    efConstruction: "Param[int]" = Param(
        Params._dummy(), "efConstruction", "hnswlib's ef_construction (> 0)",
        typeConverter=TypeConverters.toInt)
    numPartitions: "Param[int]" = Param(
        Params._dummy(), "numPartitions", "shards: one index per partition (> 0)",
        typeConverter=TypeConverters.toInt)
    numReplicas: "Param[int]" = Param(
        Params._dummy(), "numReplicas",
        "extra copies of each shard that query tasks are spread over (>= 0)",
        typeConverter=TypeConverters.toInt)
    numThreads: "Param[int]" = Param(
        Params._dummy(), "numThreads", "threads of each build or query task (> 0)",
        typeConverter=TypeConverters.toInt)
    similarityThreshold: "Param[float]" = Param(
        Params._dummy(), "similarityThreshold",
        "neighbours further than this distance are left out",
        typeConverter=TypeConverters.toFloat)
    excludeSelf: "Param[bool]" = Param(
        Params._dummy(), "excludeSelf", "leave out a query's own item (same identifier)",
        typeConverter=TypeConverters.toBoolean)
    filterCol: "Param[str]" = Param(
        Params._dummy(), "filterCol",
        "query column of the identifiers a query may return (array<bigint>, array<int> or array<string>;"
        " null: no filter)",
        typeConverter=TypeConverters.toString)
    indexDir: "Param[str]" = Param(
        Params._dummy(), "indexDir",
        "directory where fit writes the shard files (a file system every executor reads)",
        typeConverter=TypeConverters.toString)

    def __init__(self, *args: Any):
        super().__init__(*args)
        self._setDefault(identifierCol="id", featuresCol="features", predictionCol="prediction",
                         distanceFunction="cosine", k=5, m=16, ef=10, efConstruction=200,
                         numPartitions=1, numReplicas=0, numThreads=1, excludeSelf=False)

    def getIdentifierCol(self) -> str:
        return self.getOrDefault(self.identifierCol)

    def getFeaturesCol(self) -> str:
        return self.getOrDefault(self.featuresCol)

    def getPredictionCol(self) -> str:
        return self.getOrDefault(self.predictionCol)

    def getDistanceFunction(self) -> str:
        return self.getOrDefault(self.distanceFunction)

    def getK(self) -> int:
        return self.getOrDefault(self.k)

    def getM(self) -> int:
        return self.getOrDefault(self.m)

    def getEf(self) -> int:
        return self.getOrDefault(self.ef)

    def getEfConstruction(self) -> int:
        return self.getOrDefault(self.efConstruction)

    def getNumPartitions(self) -> int:
        return self.getOrDefault(self.numPartitions)

    def getNumReplicas(self) -> int:
        return self.getOrDefault(self.numReplicas)

    def getNumThreads(self) -> int:
        return self.getOrDefault(self.numThreads)

    def getSimilarityThreshold(self) -> float:
        """The threshold, or infinity when it is not set."""
        if self.isDefined(self.similarityThreshold):
            return self.getOrDefault(self.similarityThreshold)
        return float("inf")

    def getExcludeSelf(self) -> bool:
        return self.getOrDefault(self.excludeSelf)

    def getFilterCol(self) -> Optional[str]:
        """The query column of allow-lists, or None when it is not set."""
        return self.getOrDefault(self.filterCol) if self.isDefined(self.filterCol) else None

    def getIndexDir(self) -> Optional[str]:
        return self.getOrDefault(self.indexDir) if self.isDefined(self.indexDir) else None

    # The setters of both stages (the estimator adds those of the build's parameters).
    def setIdentifierCol(self: _S, value: str) -> _S:
        return self._set(identifierCol=value)

    def setFeaturesCol(self: _S, value: str) -> _S:
        return self._set(featuresCol=value)

    def setPredictionCol(self: _S, value: str) -> _S:
        return self._set(predictionCol=value)

    def setK(self: _S, value: int) -> _S:
        return self._set(k=value)

    def setEf(self: _S, value: int) -> _S:
        return self._set(ef=value)

    def setNumReplicas(self: _S, value: int) -> _S:
        return self._set(numReplicas=value)

    def setNumThreads(self: _S, value: int) -> _S:
        return self._set(numThreads=value)

    def setSimilarityThreshold(self: _S, value: float) -> _S:
        return self._set(similarityThreshold=value)

    def setExcludeSelf(self: _S, value: bool) -> _S:
        return self._set(excludeSelf=value)

    def setFilterCol(self: _S, value: str) -> _S:
        return self._set(filterCol=value)

    def _set_given(self, kwargs: Dict[str, Any]) -> Any:
        """Sets the keyword arguments that are not None (None leaves a parameter as it is)."""
        return self._set(**{name: value for name, value in kwargs.items() if value is not None})


class _Reader(JavaMLReader):
    """JavaMLReader for classes outside pyspark: the JVM class is the stage's own."""

    @classmethod
    def _java_loader_class(cls, clazz: Any) -> str:
        return clazz._java_class


class _JavaStage:
    """Loading: ``Stage.load(path)`` and ``Stage.read().load(path)``."""

    _java_class = ""

    @classmethod
    def read(cls) -> JavaMLReader:
        return _Reader(cls)

    @classmethod
    def _from_java(cls, java_stage: Any) -> Any:
        stage = cls()
        stage._java_obj = java_stage
        stage._resetUid(java_stage.uid())
        stage._transfer_params_from_java()
        return stage


class HnswSimilarityModel(_JavaStage, JavaModel, _HnswSimilarityParams, JavaMLReadable,
                          JavaMLWritable):
    """The shards built by :class:`HnswSimilarity` and the k-NN search over all of them.

    ``transform(queries)`` adds ``predictionCol``: each query's ``k`` nearest items as an
    array of ``(id, distance)`` structs, closest first, merged from every shard; with
    ``filterCol`` set, only items whose ids are in the query's array there.
    ``save(path)`` writes the parameters and a copy of every shard file.
    """

    _java_class = f"{_JAVA_PACKAGE}.HnswSimilarityModel"

    @property
    def dim(self) -> int:
        """The dimension of the vectors."""
        return self._call_java("dim")

    @property
    def numShards(self) -> int:
        """How many shards hold items."""
        return self._call_java("numShards")

    @property
    def size(self) -> int:
        """Items in all shards."""
        return self._call_java("size")

    @property
    def shardDir(self) -> str:
        """The directory of the shard files."""
        return self._call_java("shardDir")

    @property
    def identifierType(self) -> str:
        """"bigint" for integer identifiers, "string" for string ones (the type of the output's ids)."""
        return self._call_java("identifierType")


class HnswSimilarity(_JavaStage, JavaEstimator[HnswSimilarityModel], _HnswSimilarityParams,
                     JavaMLReadable, JavaMLWritable):
    """Builds a sharded hnswlib-rs index: the rows are split into ``numPartitions``
    partitions by identifier and each partition's index is built on an executor.

    Parameters (jelmerk/hnswlib-spark's names): ``identifierCol`` ("id", int, bigint or string),
    ``featuresCol`` ("features": Vector, array<float> or array<double>), ``predictionCol``
    ("prediction"), ``distanceFunction`` ("cosine", "ip" or "l2", squared), ``k`` (5), ``m``
    (16), ``ef`` (10), ``efConstruction`` (200), ``numPartitions`` (1), ``numReplicas`` (0),
    ``numThreads`` (1, per task), ``similarityThreshold`` (none), ``excludeSelf`` (False),
    ``filterCol`` (none: a query column of array<bigint>/array<int>/array<string>, the ids each query may
    return; null there is no filter), ``indexDir`` (where fit writes the shards; default: a
    temporary directory).
    """

    _java_class = f"{_JAVA_PACKAGE}.HnswSimilarity"

    @keyword_only
    def __init__(self, *, identifierCol: str = "id", featuresCol: str = "features",
                 predictionCol: str = "prediction", distanceFunction: str = "cosine", k: int = 5,
                 m: int = 16, ef: int = 10, efConstruction: int = 200, numPartitions: int = 1,
                 numReplicas: int = 0, numThreads: int = 1,
                 similarityThreshold: Optional[float] = None, excludeSelf: bool = False,
                 filterCol: Optional[str] = None, indexDir: Optional[str] = None):
        super().__init__()
        self._java_obj = _new_java_obj(self._java_class, self.uid)
        self._set_given(self._input_kwargs)

    @keyword_only
    def setParams(self, *, identifierCol: Optional[str] = None, featuresCol: Optional[str] = None,
                  predictionCol: Optional[str] = None, distanceFunction: Optional[str] = None,
                  k: Optional[int] = None, m: Optional[int] = None, ef: Optional[int] = None,
                  efConstruction: Optional[int] = None, numPartitions: Optional[int] = None,
                  numReplicas: Optional[int] = None, numThreads: Optional[int] = None,
                  similarityThreshold: Optional[float] = None, excludeSelf: Optional[bool] = None,
                  filterCol: Optional[str] = None,
                  indexDir: Optional[str] = None) -> "HnswSimilarity":
        """Sets the parameters given (None leaves one as it is)."""
        return self._set_given(self._input_kwargs)

    def setDistanceFunction(self, value: str) -> "HnswSimilarity":
        return self._set(distanceFunction=value)

    def setM(self, value: int) -> "HnswSimilarity":
        return self._set(m=value)

    def setEfConstruction(self, value: int) -> "HnswSimilarity":
        return self._set(efConstruction=value)

    def setNumPartitions(self, value: int) -> "HnswSimilarity":
        return self._set(numPartitions=value)

    def setIndexDir(self, value: str) -> "HnswSimilarity":
        return self._set(indexDir=value)

    def _create_model(self, java_model: Any) -> HnswSimilarityModel:
        return HnswSimilarityModel(java_model)


# pyspark finds the Python class of a JVM stage by the JVM class's name: JavaParams._from_java,
# which loads the stages of a saved Pipeline or PipelineModel, imports the module named like the
# JVM package. This module is that module, once imported.
sys.modules.setdefault(_JAVA_PACKAGE, sys.modules[__name__])
