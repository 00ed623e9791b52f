"""CloudWatch PutMetricData for fakeaws.FakeAWS: request parsing, validation and recording.

A signed request to ``POST /`` is decoded from the Query protocol (form) or AWS JSON 1.0
(``X-Amz-Target``), checked against botocore's CloudWatch model (fakeaws_proto) and against
the service limits the model cannot express (`check_put_metric_data`: 1000 metrics, 150 values,
30 dimensions, finite values within +-2^360, timestamp between 2 weeks ago and 2 hours ahead,
StorageResolution 1 or 60); each accepted data point is recorded as a `Datum`.
`CloudWatchMixin` holds the FakeAWS methods for this.
"""

import dataclasses
import json
import math
import time

from fakeaws_proto import (CW_JSON_PREFIX, CW_VERSION, CW_XMLNS, JSON_CONTENT_TYPE, AWSError,
                           check_model, json_params, operation_model, query_params)

MAX_METRICS = 1000
MAX_VALUES = 150
MAX_DIMENSIONS = 30
VALUE_LIMIT = 2.0 ** 360
PAST_WINDOW = 14 * 86400
FUTURE_WINDOW = 2 * 3600


@dataclasses.dataclass(frozen=True)
class Datum:
    """One accepted CloudWatch data point, as the fake understood it.

    Exactly one of `value`, `values` (with `counts`, None when omitted) and `statistic_values`
    (dict with SampleCount, Sum, Minimum, Maximum) is set. `timestamp` is epoch seconds (float) or
    None when the request had none; `storage_resolution` is None when omitted (the service then
    uses 60).
    """

    namespace: str
    name: str
    dimensions: dict
    value: float = None
    values: list = None
    counts: list = None
    statistic_values: dict = None
    unit: str = None
    timestamp: float = None
    storage_resolution: int = None
    request_id: str = ""
    access_key: str = ""
    key_source: str = ""
    protocol: str = "query"
    gzip: bool = False
    received_at: float = 0.0


def cloudwatch_protocol():
    """The wire protocol the installed botocore uses for CloudWatch ('query', 'json', ...)."""
    model = operation_model("cloudwatch", "PutMetricData").service_model
    # botocore >= 1.42 picks from the model's "protocols" list by its own priority.
    return getattr(model, "resolved_protocol", None) or model.metadata.get("protocol")


# --------------------------------------------------------------------------------------------
# PutMetricData service rules (beyond the model)


def _ascii_label(text):
    """True for ASCII without control characters and with a non-blank character."""
    return text.isascii() and text.isprintable() and text.strip() != ""


def _check_number(x, where):
    if not math.isfinite(x) or abs(x) > VALUE_LIMIT:
        raise AWSError(400, "InvalidParameterValue",
                       "The value %r for parameter %s is invalid: values must be finite and "
                       "within -2^360..2^360" % (x, where))


def _check_dimensions(dims, where):
    names = set()
    for i, dim in enumerate(dims, 1):
        at = "%s.Dimensions.member.%d" % (where, i)
        if not _ascii_label(dim["Name"]) or dim["Name"].startswith(":"):
            raise AWSError(400, "InvalidParameterValue",
                           "%s.Name %r is invalid" % (at, dim["Name"]))
        if not _ascii_label(dim["Value"]):
            raise AWSError(400, "InvalidParameterValue",
                           "%s.Value %r is invalid" % (at, dim["Value"]))
        if dim["Name"] in names:
            raise AWSError(400, "InvalidParameterValue",
                           "%s: duplicate dimension name %r" % (at, dim["Name"]))
        names.add(dim["Name"])
    if len(dims) > MAX_DIMENSIONS:
        raise AWSError(400, "InvalidParameterValue",
                       "%s has %d dimensions, at most %d" % (where, len(dims), MAX_DIMENSIONS))


def _check_values(d, where):
    forms = [k for k in ("Value", "Values", "StatisticValues") if k in d]
    if len(forms) != 1:
        raise AWSError(400, "InvalidParameterCombination",
                       "%s: exactly one of Value, Values and StatisticValues must be given "
                       "(got %s)" % (where, ", ".join(forms) or "none"))
    if "Value" in d:
        _check_number(d["Value"], where + ".Value")
    if "Counts" in d and "Values" not in d:
        raise AWSError(400, "InvalidParameterCombination", "%s: Counts without Values" % where)
    if "Values" in d:
        _check_value_list(d, where)
    if "StatisticValues" in d:
        s = d["StatisticValues"]
        for k in ("SampleCount", "Sum", "Minimum", "Maximum"):
            _check_number(s[k], "%s.StatisticValues.%s" % (where, k))
        if s["SampleCount"] <= 0 or s["Minimum"] > s["Maximum"]:
            raise AWSError(400, "InvalidParameterValue",
                           "%s.StatisticValues: need SampleCount > 0 and Minimum <= Maximum"
                           % where)


def _check_value_list(d, where):
    values, counts = d["Values"], d.get("Counts")
    if not values or len(values) > MAX_VALUES:
        raise AWSError(400, "InvalidParameterValue",
                       "%s.Values has %d members, 1..%d allowed" % (where, len(values), MAX_VALUES))
    for i, v in enumerate(values, 1):
        _check_number(v, "%s.Values.member.%d" % (where, i))
    if len(set(values)) != len(values):
        raise AWSError(400, "InvalidParameterValue",
                       "%s.Values: each value must be listed once (use Counts)" % where)
    if counts is not None:
        if len(counts) != len(values):
            raise AWSError(400, "InvalidParameterValue",
                           "%s: Counts has %d members, Values %d" % (where, len(counts),
                                                                     len(values)))
        for i, c in enumerate(counts, 1):
            _check_number(c, "%s.Counts.member.%d" % (where, i))
            if c < 0:
                raise AWSError(400, "InvalidParameterValue",
                               "%s.Counts.member.%d is negative" % (where, i))


def _check_timestamp(ts, where, now):
    epoch = ts.timestamp()
    if epoch < now - PAST_WINDOW or epoch > now + FUTURE_WINDOW:
        raise AWSError(400, "InvalidParameterValue",
                       "The parameter %s.Timestamp (%s) must be between two weeks ago and two "
                       "hours from now" % (where, ts.isoformat()))


def check_put_metric_data(params, now):
    """Applies the PutMetricData rules the model cannot express; raises AWSError."""
    ns = params["Namespace"]
    if not _ascii_label(ns) or ns.startswith("AWS/"):
        raise AWSError(400, "InvalidParameterValue",
                       "The value %r for parameter Namespace is invalid" % ns)
    data = params["MetricData"]
    if not 1 <= len(data) <= MAX_METRICS:
        raise AWSError(400, "InvalidParameterValue",
                       "MetricData has %d members, 1..%d allowed" % (len(data), MAX_METRICS))
    for i, d in enumerate(data, 1):
        where = "MetricData.member.%d" % i
        _check_dimensions(d.get("Dimensions", []), where)
        _check_values(d, where)
        if "StorageResolution" in d and d["StorageResolution"] not in (1, 60):
            raise AWSError(400, "InvalidParameterValue",
                           "%s.StorageResolution must be 1 or 60" % where)
        if "Timestamp" in d:
            _check_timestamp(d["Timestamp"], where, now)


class CloudWatchMixin:
    """The CloudWatch endpoint of FakeAWS (mixed into it; uses its _lock, _datums, _send,
    _authenticate and timestamp_clock)."""

    def datums(self, namespace=None, name=None):
        """Accepted data points (copies), optionally filtered by namespace and metric name."""
        with self._lock:
            return [d for d in self._datums if namespace in (None, d.namespace)
                    and name in (None, d.name)]

    def _cloudwatch_query(self, call):
        key = self._authenticate(call, "monitoring")
        if call.decode_error:
            raise call.decode_error
        form = call.form()
        if len(form) != len(call.pairs):
            raise AWSError(400, "InvalidParameterValue", "A parameter is given twice")
        action = form.get("Action")
        if action != "PutMetricData":
            raise AWSError(400, "InvalidAction" if action else "MissingAction",
                           "The action %s is not valid for this endpoint" % action)
        if form.get("Version") != CW_VERSION:
            raise AWSError(400, "InvalidParameterValue",
                           "Version must be %s (got %r)" % (CW_VERSION, form.get("Version")))
        shape = operation_model("cloudwatch", "PutMetricData").input_shape
        params = query_params([p for p in call.pairs if p[0] not in ("Action", "Version")], shape)
        self._put_metric_data(call, key, params)

    def _cloudwatch_json(self, call):
        key = self._authenticate(call, "monitoring")
        if call.decode_error:
            raise call.decode_error
        h = call.handler
        target = h.headers.get("X-Amz-Target")
        if target != CW_JSON_PREFIX + "PutMetricData":
            raise AWSError(400, "UnknownOperationException", "Unknown target %s" % target)
        ctype = (h.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != JSON_CONTENT_TYPE:
            raise AWSError(400, "InvalidRequest", "Content-Type must be %s" % JSON_CONTENT_TYPE)
        try:
            doc = json.loads(call.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AWSError(400, "SerializationException", "Bad JSON: %s" % e) from None
        if not isinstance(doc, dict):
            raise AWSError(400, "SerializationException", "Body must be a JSON object")
        shape = operation_model("cloudwatch", "PutMetricData").input_shape
        self._put_metric_data(call, key, json_params(doc, shape))

    def _put_metric_data(self, call, key, params):
        check_model(params, operation_model("cloudwatch", "PutMetricData").input_shape)
        check_put_metric_data(params, self.timestamp_clock())
        now = time.time()
        datums = [self._datum(params["Namespace"], d, call, key, now)
                  for d in params["MetricData"]]
        if call.protocol == "json":
            body, ctype = b"{}", JSON_CONTENT_TYPE
        else:
            body = ('<PutMetricDataResponse xmlns="%s"><ResponseMetadata><RequestId>%s'
                    "</RequestId></ResponseMetadata></PutMetricDataResponse>\n"
                    % (CW_XMLNS, call.request_id)).encode()
            ctype = "text/xml"
        self._send(call, 200, body, ctype, "accepted", datums=datums)

    @staticmethod
    def _datum(namespace, d, call, key, now):
        ts = d.get("Timestamp")
        return Datum(
            namespace=namespace, name=d["MetricName"],
            dimensions={x["Name"]: x["Value"] for x in d.get("Dimensions", [])},
            value=d.get("Value"), values=d.get("Values"),
            counts=d.get("Counts"),
            statistic_values=dict(d["StatisticValues"]) if "StatisticValues" in d else None,
            unit=d.get("Unit"), timestamp=ts.timestamp() if ts else None,
            storage_resolution=d.get("StorageResolution"), request_id=call.request_id,
            access_key=key.access_key, key_source=key.source, protocol=call.protocol,
            gzip=call.gzip, received_at=now)
