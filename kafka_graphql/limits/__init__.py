"""Limits: query cost, per-caller budgets and produce rates (docs/limits.md)."""

from kafka_graphql.core.limits.bucket import Clock, LeakyBucket
from kafka_graphql.core.limits.produce import record_size
from kafka_graphql.core.limits.registry import BudgetStatus, LimitsRegistry
from kafka_graphql.limits.cost import CostModel, UnknownWeight
from kafka_graphql.limits.directive import Cost, show_weights
from kafka_graphql.limits.fields import CostingError, FragmentCycle
from kafka_graphql.limits.operation import CostedSchema, OperationLimits, throttle_http
from kafka_graphql.limits.settings import LimitsSettings
from kafka_graphql.limits.structure import StructuralLimits
from kafka_graphql.limits.walk import CostMemo, OperationCost

__all__ = [
    "BudgetStatus",
    "Clock",
    "Cost",
    "CostMemo",
    "CostModel",
    "CostedSchema",
    "CostingError",
    "FragmentCycle",
    "LeakyBucket",
    "LimitsRegistry",
    "LimitsSettings",
    "OperationCost",
    "OperationLimits",
    "StructuralLimits",
    "UnknownWeight",
    "record_size",
    "show_weights",
    "throttle_http",
]
