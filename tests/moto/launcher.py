#!/usr/bin/env python3
"""tidegate's moto server: moto 5.2.5 plus what tidegate's tests need.

Usage: launcher.py [PORT]   (PORT 0 or absent: a free port)

Prints one line, ``tidegate-moto ready on http://127.0.0.1:PORT``, once the
server listens, and exits when its parent process (or the process whose pid
is in $TIDEGATE_MOTO_PARENT) dies.

Everything below is registered on moto's own response classes, backends,
parsers and serializers before the server starts, so the AWS SDK for Rust
still sends and parses real AWS requests and responses. What it adds (the
list is kept in tests/README.md too):

* MSK (REST-JSON): UpdateBrokerCount, UpdateBrokerStorage, UpdateBrokerType
  (check currentVersion, update the cluster, bump its version),
  ListClusterOperations; clusters are ACTIVE once created; creationTime
  carries a UTC offset; DescribeCluster(V2) of an unknown ARN answers
  NotFoundException instead of a 500.
* RDS (query): ModifyDBCluster of an unknown cluster answers
  DBClusterNotFoundFault instead of a 500.
* ElastiCache (query): IncreaseReplicaCount, DecreaseReplicaCount,
  ModifyReplicationGroupShardConfiguration on moto's stored replication
  groups (node groups and member clusters); CreateReplicationGroup honours
  NumCacheClusters when cluster mode is off.
* CloudWatch over Smithy RPC v2 CBOR
  (POST /service/GraniteServiceVersion20100801/operation/{Operation}): a CBOR
  request parser and response serializer for moto's CloudWatch handlers.
* DynamoDB: PutItem, UpdateItem, DeleteItem and TransactWriteItems under
  one lock, so a conditional write is atomic (check and write) as on AWS.
* Pricing (awsJson 1.1, X-Amz-Target AWSPriceListService.GetProducts), which
  moto lacks: answered from the recorded products in tests/fixtures/pricing/,
  filtered by ServiceCode and TERM_MATCH filters, paginated.
* Control endpoints under /tidegate/ (JSON): faults, call counter, MSK state.
* A request carrying ``X-Tidegate-Fault: CODE;STATUS`` (set by the fault
  proxy, tests/faults/proxy.py) answers that AWS error instead of running.
"""

from __future__ import annotations

import calendar
import json
import os
import random
import string
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

import cbor2
from botocore.utils import parse_to_aware_datetime
from moto.core import parse as moto_parse
from moto.core import serialize as moto_serialize
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

# --------------------------------------------------------------------------
# Call counter and fault injector: one hook on BaseResponse.call_action, the
# point every AWS request reaches once moto has routed it and knows its
# service and operation. A fault answers through moto's serializer for the
# request's protocol, so the error has the service's real shape (query XML
# for RDS/ElastiCache/Auto Scaling, REST-JSON for MSK, CBOR for CloudWatch).
# --------------------------------------------------------------------------

_lock = threading.Lock()
_calls: dict[tuple[str, str], int] = {}
_faults: list[dict[str, Any]] = []


def _count_and_take_fault(service: str, operation: str) -> dict[str, Any] | None:
    with _lock:
        _calls[(service, operation)] = _calls.get((service, operation), 0) + 1
        for fault in _faults:
            if fault["operation"] != operation or fault["count"] <= 0:
                continue
            if fault.get("service") not in (None, service):
                continue
            fault["count"] -= 1
            return dict(fault)
    return None


class InjectedFault(ServiceException):
    """Defined outside moto's packages, so moto looks its code up in the
    model of the service that answers (e.g. MSK's TooManyRequestsException
    is a 429) and treats unknown codes (Throttling) as a plain 400."""


_original_call_action = BaseResponse.call_action


def _proxy_fault(self: BaseResponse) -> dict[str, Any] | None:
    """A fault the fault proxy (tests/faults/proxy.py) asks for in the
    request header ``X-Tidegate-Fault: CODE;STATUS``, so its answer has the
    service's own error shape."""
    header = (self.headers or {}).get("X-Tidegate-Fault")
    if not header:
        return None
    code, _, status = header.partition(";")
    return {"code": code, "status": int(status) if status else None, "message": "Injected by the fault proxy"}


def _call_action(self: BaseResponse) -> Any:
    operation = self._get_action()
    fault = _count_and_take_fault(str(self.service_name), str(operation)) if operation else None
    fault = _proxy_fault(self) or fault
    if fault is None:
        return _original_call_action(self)
    error = InjectedFault(fault["code"], fault.get("message") or "Rate exceeded")
    status, headers, body = self.serialized(ActionResult(error))
    return int(fault.get("status") or status), headers, body


BaseResponse.call_action = _call_action  # type: ignore[method-assign]


# --------------------------------------------------------------------------
# MSK
# --------------------------------------------------------------------------

from moto.kafka import models as kafka_models  # noqa: E402
from moto.kafka.exceptions import BadRequestException, NotFoundException  # noqa: E402
from moto.kafka.responses import KafkaResponse  # noqa: E402


def _utc_rfc3339(dt: datetime | None = None) -> str:
    dt = dt or datetime.now(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


_original_cluster_init = kafka_models.FakeKafkaCluster.__init__


def _cluster_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _original_cluster_init(self, *args, **kwargs)
    self.creation_time = _utc_rfc3339()  # moto's is naive local time
    self.state = "ACTIVE"  # moto leaves clusters CREATING for ever
    self.operations = []


kafka_models.FakeKafkaCluster.__init__ = _cluster_init  # type: ignore[method-assign]


def _cluster(backend: Any, arn: str) -> Any:
    if arn not in backend.clusters:
        raise NotFoundException(f"Cluster {arn} does not exist.")
    return backend.clusters[arn]


def _not_found_checked(describe: Any) -> Any:
    def checked(self: Any, cluster_arn: str) -> Any:
        _cluster(self, cluster_arn)  # moto answers a KeyError (HTTP 500) instead
        return describe(self, cluster_arn)

    return checked


for _name in ("describe_cluster", "describe_cluster_v2"):
    setattr(
        kafka_models.KafkaBackend,
        _name,
        _not_found_checked(getattr(kafka_models.KafkaBackend, _name)),
    )


def _msk_update(response: KafkaResponse, suffix: str, op_type: str, apply: Any) -> str:
    """Common frame of the three updates: find the cluster, check its state
    and currentVersion as MSK does, apply the change, bump the version."""
    arn = unquote(response.parsed_url.path.split("/clusters/", 1)[1]).removesuffix(suffix)
    cluster = _cluster(response.kafka_backend, arn)
    if cluster.state != "ACTIVE":
        raise BadRequestException(
            f"The cluster is in state {cluster.state}; this operation needs it ACTIVE."
        )
    current_version = response._get_param("currentVersion")
    if current_version != cluster.current_version:
        raise BadRequestException(
            f"The request's currentVersion {current_version} does not match the "
            f"cluster's current version {cluster.current_version}."
        )
    info = cluster.broker_node_group_info or {}
    source = {
        "numberOfBrokerNodes": cluster.number_of_broker_nodes,
        "instanceType": info.get("instanceType"),
        "brokerEBSVolumeInfo": [
            {"kafkaBrokerNodeId": "ALL", "volumeSizeGB": _volume_size(cluster)}
        ],
    }
    target = apply(cluster, info)
    cluster.broker_node_group_info = info
    # AWS versions look like K3AEGXETSR30VB: opaque, new after every update.
    cluster.current_version = "K" + "".join(
        random.choices(string.ascii_uppercase + string.digits, k=13)
    )
    operation_arn = (
        cluster.arn.replace(":cluster/", ":cluster-operation/") + "/" + str(uuid.uuid4())
    )
    now = _utc_rfc3339()
    cluster.operations.append(
        {
            "clusterArn": cluster.arn,
            "operationArn": operation_arn,
            "operationType": op_type,
            "operationState": "UPDATE_COMPLETE",  # applied at once, like all of moto
            "creationTime": now,
            "endTime": now,
            "sourceClusterInfo": source,
            "targetClusterInfo": target,
        }
    )
    return json.dumps({"clusterArn": cluster.arn, "clusterOperationArn": operation_arn})


def _volume_size(cluster: Any) -> int | None:
    info = cluster.broker_node_group_info or {}
    return info.get("storageInfo", {}).get("ebsStorageInfo", {}).get("volumeSize")


def update_broker_count(self: KafkaResponse) -> str:
    def apply(cluster: Any, info: dict[str, Any]) -> dict[str, Any]:
        target = int(self._get_param("targetNumberOfBrokerNodes"))
        current = cluster.number_of_broker_nodes or 0
        azs = len(info.get("clientSubnets") or []) or 1
        if target <= current:
            raise BadRequestException(
                f"The target number of broker nodes ({target}) must be greater "
                f"than the current one ({current})."
            )
        if target % azs:
            raise BadRequestException(
                f"The number of broker nodes ({target}) must be a multiple of "
                f"the number of Availability Zones ({azs})."
            )
        cluster.number_of_broker_nodes = target
        return {"numberOfBrokerNodes": target}

    return _msk_update(self, "/nodes/count", "INCREASE_BROKER_COUNT", apply)


def update_broker_storage(self: KafkaResponse) -> str:
    def apply(cluster: Any, info: dict[str, Any]) -> dict[str, Any]:
        volumes = self._get_param("targetBrokerEBSVolumeInfo") or []
        if len(volumes) != 1 or str(volumes[0].get("kafkaBrokerNodeId", "")).upper() != "ALL":
            raise BadRequestException(
                "targetBrokerEBSVolumeInfo must hold one entry, kafkaBrokerNodeId ALL."
            )
        size = volumes[0].get("volumeSizeGB")
        current = _volume_size(cluster) or 0
        if size is not None and int(size) <= current:
            raise BadRequestException(
                f"The target volume size ({size} GiB) must be greater than "
                f"the current one ({current} GiB)."
            )
        ebs = info.setdefault("storageInfo", {}).setdefault("ebsStorageInfo", {})
        if size is not None:
            ebs["volumeSize"] = int(size)
        if volumes[0].get("provisionedThroughput") is not None:
            ebs["provisionedThroughput"] = volumes[0]["provisionedThroughput"]
        return {"brokerEBSVolumeInfo": volumes}

    return _msk_update(self, "/nodes/storage", "UPDATE_BROKER_STORAGE", apply)


def update_broker_type(self: KafkaResponse) -> str:
    def apply(cluster: Any, info: dict[str, Any]) -> dict[str, Any]:
        target = self._get_param("targetInstanceType")
        if not str(target).startswith("kafka."):
            raise BadRequestException(f"Unsupported broker type {target}.")
        info["instanceType"] = target
        return {"instanceType": target}

    return _msk_update(self, "/nodes/type", "UPDATE_BROKER_TYPE", apply)


def list_cluster_operations(self: KafkaResponse) -> str:
    arn = unquote(self.parsed_url.path.split("/clusters/", 1)[1]).removesuffix("/operations")
    cluster = _cluster(self.kafka_backend, arn)
    return json.dumps({"clusterOperationInfoList": list(reversed(cluster.operations))})


for _handler in (
    update_broker_count,
    update_broker_storage,
    update_broker_type,
    list_cluster_operations,
):
    setattr(KafkaResponse, _handler.__name__, _handler)


def _set_msk_state(arn: str, state: str) -> None:
    """Control endpoint: put an MSK cluster in any state (e.g. UPDATING)."""
    parts = arn.split(":")
    if len(parts) < 6:
        raise KeyError(arn)
    backend = kafka_models.kafka_backends[parts[4]][parts[3]]
    if arn not in backend.clusters:
        raise KeyError(arn)
    backend.clusters[arn].state = state


# --------------------------------------------------------------------------
# RDS: ModifyDBCluster of an unknown cluster answers DBClusterNotFoundFault
# (moto answers a KeyError, HTTP 500, which the SDK retries as transient).
# --------------------------------------------------------------------------

from moto.rds.exceptions import DBClusterNotFoundError  # noqa: E402
from moto.rds.models import RDSBackend  # noqa: E402

_original_modify_db_cluster = RDSBackend.modify_db_cluster


def _modify_db_cluster(self: Any, kwargs: Any) -> Any:
    if kwargs["db_cluster_identifier"] not in self.clusters:
        raise DBClusterNotFoundError(kwargs["db_cluster_identifier"])
    return _original_modify_db_cluster(self, kwargs)


RDSBackend.modify_db_cluster = _modify_db_cluster  # type: ignore[method-assign]


# --------------------------------------------------------------------------
# Auto Scaling: UpdateAutoScalingGroup without a MixedInstancesPolicy keeps
# the group's policy, as AWS does (moto drops it, so a capacity change made
# a mixed group look as if it had none).
# --------------------------------------------------------------------------

from moto.autoscaling.models import FakeAutoScalingGroup  # noqa: E402

_original_asg_update = FakeAutoScalingGroup.update


def _asg_update(self: Any, *args: Any, **kwargs: Any) -> Any:
    kept = self.mixed_instances_policy
    result = _original_asg_update(self, *args, **kwargs)
    if kwargs.get("mixed_instances_policy") is None and kept:
        self.mixed_instances_policy = kept
    return result


FakeAutoScalingGroup.update = _asg_update  # type: ignore[method-assign]


# Auto Scaling: StartInstanceRefresh and DescribeInstanceRefreshes (moto
# answers both with HTTP 500 NotImplementedError). A refresh is kept per
# group and stays InProgress (no instance is replaced); starting a second
# one while one is in progress is refused with AWS's error code.
# --------------------------------------------------------------------------

from moto.autoscaling.exceptions import AutoscalingClientError  # noqa: E402
from moto.autoscaling.exceptions import ValidationError as AsgValidationError  # noqa: E402
from moto.autoscaling.responses import AutoScalingResponse  # noqa: E402


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"


_instance_refreshes: dict[str, list[dict[str, Any]]] = {}


def start_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    name = self._get_param("AutoScalingGroupName")
    if name not in self.autoscaling_backend.autoscaling_groups:
        raise AsgValidationError(f"AutoScalingGroup name not found - {name}")
    refreshes = _instance_refreshes.setdefault(name, [])
    if any(r["Status"] in ("Pending", "InProgress") for r in refreshes):
        raise InstanceRefreshInProgress(
            "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."
        )
    preferences = self._get_param("Preferences", {}) or {}
    refresh = {
        "InstanceRefreshId": str(uuid.uuid4()),
        "AutoScalingGroupName": name,
        "Status": "InProgress",
        "StartTime": datetime.now(timezone.utc),
        "PercentageComplete": 0,
        "Preferences": {
            "MinHealthyPercentage": int(preferences.get("MinHealthyPercentage", 90)),
        },
    }
    refreshes.insert(0, refresh)
    return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})


def describe_instance_refreshes(self: AutoScalingResponse) -> ActionResult:
    name = self._get_param("AutoScalingGroupName")
    return ActionResult({"InstanceRefreshes": _instance_refreshes.get(name, [])})


for _handler in (start_instance_refresh, describe_instance_refreshes):
    setattr(AutoScalingResponse, _handler.__name__, _handler)


# --------------------------------------------------------------------------
# ElastiCache
# --------------------------------------------------------------------------

from moto.elasticache.exceptions import (  # noqa: E402
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
)
from moto.elasticache.models import ElastiCacheBackend  # noqa: E402
from moto.elasticache.responses import ElastiCacheResponse  # noqa: E402


class NoOperationFault(ElastiCacheException):
    code = "NoOperationFault"


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


_SLOTS = 16384
_MAX_REPLICAS = 5

_original_create_group = ElastiCacheBackend.create_replication_group


def _create_replication_group(self: Any, **kwargs: Any) -> Any:
    # moto builds cluster-mode-disabled groups from ReplicasPerNodeGroup only
    # and ignores NumCacheClusters (primary + replicas), the usual way to ask.
    clusters = kwargs.get("num_cache_clusters")
    if (
        kwargs.get("cluster_mode") != "enabled"
        and clusters
        and not kwargs.get("replicas_per_node_group")
    ):
        kwargs["replicas_per_node_group"] = int(clusters) - 1
    return _original_create_group(self, **kwargs)


ElastiCacheBackend.create_replication_group = _create_replication_group  # type: ignore[method-assign]


def _replication_group(response: ElastiCacheResponse) -> Any:
    group_id = response._get_param("ReplicationGroupId")
    groups = response.elasticache_backend.replication_groups
    if group_id not in groups:
        raise ReplicationGroupNotFound(group_id)
    group = groups[group_id]
    if group.status != "available":
        raise InvalidReplicationGroupState(f"Replication group {group_id} is {group.status}.")
    return group


def _member_id(group: Any, node_group_id: str, index: int) -> str:
    """Cache cluster ids as moto (and AWS) name them: 1-based, 001 is the
    first primary."""
    if group.cluster_mode == "enabled":
        return f"{group.replication_group_id}-{node_group_id}-{index:0>3}"
    return f"{group.replication_group_id}-{index:0>3}"


def _new_member(
    group: Any, node_group: dict[str, Any], index: int, az: str | None
) -> dict[str, Any]:
    member: dict[str, Any] = {
        "cache_cluster_id": _member_id(group, node_group["node_group_id"], index),
        "cache_node_id": node_group["node_group_id"],
        "preferred_availability_zone": az or "us-east-1b",
    }
    if group.cluster_mode != "enabled":
        member["current_role"] = "replica"
        member["read_endpoint"] = {
            "address": f"{member['cache_cluster_id']}.cache.amazonaws.com",
            "port": group.port,
        }
    return member


def _sync_member_clusters(group: Any) -> None:
    group.member_clusters = [
        m["cache_cluster_id"] for ng in group.node_groups for m in ng["node_group_members"]
    ]


def _replica_targets(
    response: ElastiCacheResponse, group: Any, to_remove: set[str]
) -> dict[str, tuple[int, list[str]]]:
    """Node group id -> (new replica count, preferred AZs), from
    NewReplicaCount (all node groups), ReplicaConfiguration (per group) or,
    to decrease, ReplicasToRemove alone."""
    new_count = response._get_param("NewReplicaCount")
    config = response._get_param("ReplicaConfiguration") or []
    if new_count is None and not config and to_remove:
        return {
            ng["node_group_id"]: (
                sum(
                    1
                    for m in ng["node_group_members"][1:]
                    if m["cache_cluster_id"] not in to_remove
                ),
                [],
            )
            for ng in group.node_groups
        }
    if (new_count is None) == (not config):
        raise InvalidParameterCombinationException(
            "Give either NewReplicaCount or ReplicaConfiguration."
        )
    if new_count is not None:
        return {ng["node_group_id"]: (int(new_count), []) for ng in group.node_groups}
    known = {ng["node_group_id"] for ng in group.node_groups}
    targets = {}
    for shard in config:
        if shard.get("NodeGroupId") not in known:
            raise InvalidParameterValueException(f"Unknown node group {shard.get('NodeGroupId')}.")
        targets[shard["NodeGroupId"]] = (
            int(shard["NewReplicaCount"]),
            shard.get("PreferredAvailabilityZones") or [],
        )
    return targets


def _change_replicas(response: ElastiCacheResponse, grow: bool) -> ActionResult:
    group = _replication_group(response)
    if not response._get_bool_param("ApplyImmediately"):
        raise InvalidParameterValueException("ApplyImmediately must be true.")
    to_remove = set(response._get_param("ReplicasToRemove") or [])
    targets = _replica_targets(response, group, to_remove)
    minimum = 1 if group.automatic_failover == "enabled" else 0
    changed = False
    for ng in group.node_groups:
        if ng["node_group_id"] not in targets:
            continue
        target, azs = targets[ng["node_group_id"]]
        members = ng["node_group_members"]
        current = len(members) - 1
        if grow and target < current or not grow and target > current:
            raise InvalidParameterValueException(
                f"NewReplicaCount {target} is {'below' if grow else 'above'} the "
                f"current {current} of node group {ng['node_group_id']}."
            )
        if target > _MAX_REPLICAS or target < minimum:
            raise InvalidParameterValueException(
                f"NewReplicaCount must be between {minimum} and {_MAX_REPLICAS} "
                f"(automatic failover {group.automatic_failover})."
            )
        if grow:
            used = {m["cache_cluster_id"] for m in members}
            index = 1
            while len(members) - 1 < target:
                index += 1
                if _member_id(group, ng["node_group_id"], index) not in used:
                    az = azs[len(members) - 1] if len(members) - 1 < len(azs) else None
                    members.append(_new_member(group, ng, index, az))
                    changed = True
        else:
            # The named replicas first, then the newest ones; never the primary.
            replicas = members[1:]
            keep = [m for m in replicas if m["cache_cluster_id"] not in to_remove]
            ng["node_group_members"] = [members[0]] + keep[:target]
            changed = changed or len(ng["node_group_members"]) != len(members)
    if not changed:
        raise NoOperationFault(
            "The replication group already has the requested number of replicas."
        )
    _sync_member_clusters(group)
    return ActionResult({"ReplicationGroup": group})


def increase_replica_count(self: ElastiCacheResponse) -> ActionResult:
    return _change_replicas(self, grow=True)


def decrease_replica_count(self: ElastiCacheResponse) -> ActionResult:
    return _change_replicas(self, grow=False)


def modify_replication_group_shard_configuration(self: ElastiCacheResponse) -> ActionResult:
    group = _replication_group(self)
    if group.cluster_mode != "enabled":
        raise InvalidParameterCombinationException(
            "Resharding needs a cluster-mode enabled replication group."
        )
    if not self._get_bool_param("ApplyImmediately"):
        raise InvalidParameterValueException("ApplyImmediately must be true.")
    target = int(self._get_param("NodeGroupCount"))
    groups = group.node_groups
    if target < 1 or target > 500:
        raise InvalidParameterValueException(f"NodeGroupCount {target} is out of range.")
    if target == len(groups):
        raise NoOperationFault(
            "The replication group already has the requested number of node groups."
        )
    if target > len(groups):
        replicas = len(groups[0]["node_group_members"]) - 1
        used = {ng["node_group_id"] for ng in groups}
        next_id = 0
        while len(groups) < target:
            next_id += 1
            ng_id = f"{next_id:0>4}"
            if ng_id in used:
                continue
            ng: dict[str, Any] = {
                "node_group_id": ng_id,
                "status": "available",
                "node_group_members": [],
            }
            ng["node_group_members"] = [
                {
                    "cache_cluster_id": _member_id(group, ng_id, i + 1),
                    "cache_node_id": ng_id,
                    "preferred_availability_zone": "us-east-1a" if i == 0 else "us-east-1b",
                }
                for i in range(replicas + 1)
            ]
            groups.append(ng)
    else:
        remove = self._get_param("NodeGroupsToRemove") or []
        retain = self._get_param("NodeGroupsToRetain") or []
        if not remove and not retain:
            raise InvalidParameterValueException(
                "Either NodeGroupsToRemove or NodeGroupsToRetain is required when "
                "decreasing the number of node groups."
            )
        keep = [
            ng
            for ng in groups
            if (ng["node_group_id"] in retain if retain else ng["node_group_id"] not in remove)
        ]
        if len(keep) != target:
            raise InvalidParameterValueException(
                f"NodeGroupCount {target} does not match the node groups left ({len(keep)})."
            )
        group.node_groups = groups = keep
    # Hash slots, spread evenly as a rebalanced cluster has them.
    for i, ng in enumerate(groups):
        ng["slots"] = f"{i * _SLOTS // len(groups)}-{(i + 1) * _SLOTS // len(groups) - 1}"
    _sync_member_clusters(group)
    return ActionResult({"ReplicationGroup": group})


for _handler in (
    increase_replica_count,
    decrease_replica_count,
    modify_replication_group_shard_configuration,
):
    setattr(ElastiCacheResponse, _handler.__name__, _handler)


# --------------------------------------------------------------------------
# Budgets: DescribeSubscribersForNotification, which moto lacks and the
# Terraform provider reads back after creating a budget's notifications
# (tests/terraform/deploy.py). Answered from moto's stored notifications.
# --------------------------------------------------------------------------

from moto.budgets.exceptions import NotFoundException as BudgetNotFound  # noqa: E402
from moto.budgets.responses import BudgetsResponse  # noqa: E402

_NOTIFICATION_KEYS = ("NotificationType", "ComparisonOperator", "ThresholdType")


def describe_subscribers_for_notification(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    budget_name = self._get_param("BudgetName")
    wanted = self._get_param("Notification") or {}
    budget = self.backend.budgets.get(account_id, {}).get(budget_name)
    if budget is None:
        raise BudgetNotFound("Unable to get subscribers - the budget doesn't exist.")
    for n in budget.notifications:
        same = all(n.details.get(k, "PERCENTAGE" if k == "ThresholdType" else None) == wanted.get(k, "PERCENTAGE" if k == "ThresholdType" else None) for k in _NOTIFICATION_KEYS)
        if same and float(n.details.get("Threshold", 0)) == float(wanted.get("Threshold", 0)):
            return json.dumps({"Subscribers": n.subscribers, "NextToken": None})
    raise BudgetNotFound("Unable to get subscribers - the notification doesn't exist.")


# Budget tags (CreateBudget ResourceTags, ListTagsForResource), which moto
# drops and lacks: kept here by budget ARN, read back by the provider.
_budget_tags: dict[str, list[dict[str, str]]] = {}
_original_create_budget = BudgetsResponse.create_budget


def _create_budget(self: BudgetsResponse) -> str:
    out = _original_create_budget(self)
    name = (self._get_param("Budget") or {}).get("BudgetName")
    arn = f"arn:aws:budgets::{self._get_param('AccountId')}:budget/{name}"
    _budget_tags[arn] = list(self._get_param("ResourceTags") or [])
    return out


def list_tags_for_resource(self: BudgetsResponse) -> str:
    return json.dumps({"ResourceTags": _budget_tags.get(self._get_param("ResourceARN"), [])})


BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification  # type: ignore[attr-defined]
BudgetsResponse.create_budget = _create_budget  # type: ignore[method-assign]
BudgetsResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# CloudWatch over Smithy RPC v2 CBOR. moto parses and serializes requests
# per protocol from the botocore model, which lists smithy-rpc-v2-cbor
# first for CloudWatch; give it a CBOR parser and serializer (the JSON ones,
# with CBOR bodies, tag-1 timestamps and raw blobs) and a route.
# --------------------------------------------------------------------------

CBOR_PROTOCOL = "smithy-rpc-v2-cbor"


class CborParser(moto_parse.JSONParser):
    def _parse_body_as_json(self, body_contents: Any) -> Any:
        return cbor2.loads(body_contents) if body_contents else {}

    def _parse_timestamp(self, shape: Any, value: Any) -> datetime:
        # Tag 1 decodes to an aware datetime; moto keeps naive UTC.
        if isinstance(value, (int, float)):
            value = datetime.fromtimestamp(value, timezone.utc)
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def _parse_blob(self, shape: Any, value: Any) -> bytes:
        return bytes(value)


class CborSerializer(moto_serialize.JSONSerializer):
    CONTENT_TYPE = "application/cbor"

    def _get_protocol_specific_content_type(self) -> str:
        return self.CONTENT_TYPE

    def _get_protocol_specific_error_code(self, error: Any) -> str:
        return f"com.amazonaws.cloudwatch#{error.name}"

    def _serialize_error_metadata(self, serialized: Any, error: Exception, shape: Any) -> None:
        super()._serialize_error_metadata(serialized, error, shape)
        if "Message" in serialized:
            serialized["message"] = serialized.pop("Message")

    def _serialize_body(self, body: Any) -> bytes:  # type: ignore[override]
        return cbor2.dumps(body)

    def serialize(self, result: Any) -> Any:
        resp = super().serialize(result)
        resp["headers"]["smithy-protocol"] = "rpc-v2-cbor"
        return resp

    def _serialize_type_timestamp(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
        aware = parse_to_aware_datetime(value)
        seconds: float = calendar.timegm(aware.timetuple())
        if aware.microsecond:
            seconds += (aware.microsecond // 1000) / 1000.0
        self._default_serialize(serialized, cbor2.CBORTag(1, seconds), shape, key)

    def _serialize_type_blob(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        self._default_serialize(serialized, raw, shape, key)


moto_parse.PROTOCOL_PARSERS[CBOR_PROTOCOL] = CborParser
moto_serialize.SERIALIZERS[CBOR_PROTOCOL] = CborSerializer

from moto.cloudwatch import urls as cloudwatch_urls  # noqa: E402
from moto.cloudwatch.responses import CloudWatchResponse  # noqa: E402


class CborCloudWatchResponse(CloudWatchResponse):
    """CloudWatch's handlers, reached by the RPC v2 route; the operation is
    the last path segment and the body stays bytes."""

    use_raw_body = True

    def _get_action(self) -> str:
        return self.path.rsplit("/", 1)[-1]


cloudwatch_urls.url_paths[
    "{0}/service/GraniteServiceVersion20100801/operation/(?P<operation>[A-Za-z0-9]+)$"
] = CborCloudWatchResponse.dispatch


# --------------------------------------------------------------------------
# DynamoDB: a single-item write is atomic, as on AWS. moto reads the item,
# parses and evaluates the ConditionExpression, then writes, with no lock
# between; under the threaded server two conditional writes to one item
# could both pass (not seen in 150 rounds of 20 racing PutItems, but the
# window is there). One lock around every write closes it.
# --------------------------------------------------------------------------

from moto.dynamodb.models import DynamoDBBackend  # noqa: E402

_dynamodb_write_lock = threading.RLock()


def _atomic(write: Any) -> Any:
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _dynamodb_write_lock:
            return write(self, *args, **kwargs)

    locked.__name__ = write.__name__
    return locked


for _write in ("put_item", "update_item", "delete_item", "transact_write_items"):
    setattr(DynamoDBBackend, _write, _atomic(getattr(DynamoDBBackend, _write)))


# --------------------------------------------------------------------------
# Pricing (Price List Query API, awsJson 1.1): moto has no Pricing service.
# GetProducts answers from the recorded products in tests/fixtures/pricing/
# (every *.json there but awkward.json, which holds constructed cases for the
# parser): ServiceCode and TERM_MATCH filters on product attributes (and
# productFamily), MaxResults/NextToken paging. Counted and faulted like
# moto's own operations (service "pricing").
# --------------------------------------------------------------------------

_PRICING_TARGET = "AWSPriceListService."
_PRICING_FIXTURES = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "pricing"
)


def _pricing_products() -> list[tuple[dict[str, Any], str]]:
    """(parsed product, the PriceList string as recorded), every fixture."""
    out = []
    for name in sorted(os.listdir(_PRICING_FIXTURES)):
        if not name.endswith(".json") or name == "awkward.json":
            continue
        with open(os.path.join(_PRICING_FIXTURES, name), encoding="utf-8") as f:
            for text in json.load(f)["PriceList"]:
                out.append((json.loads(text), text))
    return out


def _pricing_matches(product: dict[str, Any], service_code: str, filters: list[Any]) -> bool:
    if product.get("serviceCode") != service_code:
        return False
    attributes = product.get("product", {}).get("attributes", {})
    for f in filters:
        if f.get("Type") != "TERM_MATCH":
            return False
        field, value = f.get("Field"), f.get("Value")
        if field == "ServiceCode":
            found = product.get("serviceCode")
        elif field == "productFamily":
            found = product.get("product", {}).get("productFamily")
        else:
            found = attributes.get(field)
        if found != value:
            return False
    return True


def _pricing(environ: dict[str, Any], operation: str) -> tuple[str, dict[str, Any]]:
    fault = _count_and_take_fault("pricing", operation)
    if fault is not None:
        status = int(fault.get("status") or 400)
        message = fault.get("message") or "Rate exceeded"
        return f"{status} Fault", {"__type": fault["code"], "message": message}
    if operation != "GetProducts":
        return "400 Bad Request", {
            "__type": "UnknownOperationException",
            "message": f"{operation} is not served by tidegate's moto",
        }
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
    service_code = body.get("ServiceCode")
    if not service_code:
        return "400 Bad Request", {
            "__type": "InvalidParameterException",
            "message": "ServiceCode is required.",
        }
    matching = [
        text
        for product, text in _pricing_products()
        if _pricing_matches(product, service_code, body.get("Filters") or [])
    ]
    size = int(body.get("MaxResults") or 100)
    start = int(body.get("NextToken") or 0)
    answer: dict[str, Any] = {
        "FormatVersion": body.get("FormatVersion") or "aws_v1",
        "PriceList": matching[start : start + size],
    }
    if start + size < len(matching):
        answer["NextToken"] = str(start + size)
    return "200 OK", answer


# --------------------------------------------------------------------------
# Control endpoints (JSON), served before moto sees the request.
# --------------------------------------------------------------------------


def _control(environ: dict[str, Any]) -> tuple[str, Any]:
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO", "")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
    if path == "/tidegate/health":
        return "200 OK", {"ok": True}
    if path == "/tidegate/calls" and method == "GET":
        with _lock:
            calls = [
                {"service": s, "operation": o, "count": n} for (s, o), n in sorted(_calls.items())
            ]
        return "200 OK", {"calls": calls}
    if path == "/tidegate/calls/reset" and method == "POST":
        with _lock:
            _calls.clear()
        return "200 OK", {}
    if path == "/tidegate/faults" and method == "POST":
        if not body.get("operation") or not body.get("code"):
            return "400 Bad Request", {"error": "operation and code are required"}
        with _lock:
            _faults.append(
                {
                    "service": body.get("service"),
                    "operation": body["operation"],
                    "code": body["code"],
                    "count": int(body.get("count", 1)),
                    "status": body.get("status"),
                    "message": body.get("message"),
                }
            )
        return "200 OK", {}
    if path == "/tidegate/faults" and method == "GET":
        with _lock:
            return "200 OK", {"faults": [f for f in _faults if f["count"] > 0]}
    if path == "/tidegate/faults/reset" and method == "POST":
        with _lock:
            _faults.clear()
        return "200 OK", {}
    if path == "/tidegate/msk/state" and method == "POST":
        try:
            _set_msk_state(body["clusterArn"], body["state"])
        except KeyError as e:
            return "404 Not Found", {"error": f"no MSK cluster {e}"}
        return "200 OK", {}
    return "404 Not Found", {"error": f"unknown control endpoint {method} {path}"}


def _app(moto_app: DomainDispatcherApplication) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(_PRICING_TARGET):
            status, payload = _pricing(environ, target[len(_PRICING_TARGET) :])
            content_type = "application/x-amz-json-1.1"
        elif environ.get("PATH_INFO", "").startswith("/tidegate/"):
            status, payload = _control(environ)
            content_type = "application/json"
        else:
            return moto_app(environ, start_response)
        body = json.dumps(payload).encode()
        start_response(
            status, [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def _exit_with_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    # The harness passes its pid, in case it died before we got here.
    parent = int(os.environ.get("TIDEGATE_MOTO_PARENT") or os.getppid())
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    server = make_server(
        "127.0.0.1",
        port,
        _app(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    print(f"tidegate-moto ready on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
