"""``lambdasim import sam``: real public templates (tests/data/sam, MIT-0 / Apache-2.0) → scenarios.

The numbers each test expects are read from the template text by this test's own regexes
(:func:`_prop`), not from the importer; AWS's defaults where a template is silent cite
aws-lambda-behaviour.md (128 MB, 3 s, SQS visibility 30 s, stream batch 100).
"""

from __future__ import annotations

import json
import re
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim.cli import app
from lambdasim.config.distributions import LognormalDuration
from lambdasim.config.placeholders import mark, placeholder_issues
from lambdasim.config.sam import TemplateError, import_template, load_template
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SAM = ROOT / "tests" / "data" / "sam"
TEMPLATES = sorted(p.name for p in SAM.glob("*.y*ml"))
S3_PARAMS = {"SourceBucketName": "src", "QueueName": "q", "DestinationBucketName": "dst"}
runner = CliRunner()


def _block(name: str, lid: str) -> str:
    """The text of resource (or section) ``lid`` of template ``name``: its line and the more
    indented lines after it."""
    lines = (SAM / name).read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if re.match(rf"\s*{lid}:\s*$", line))
    indent = len(lines[i]) - len(lines[i].lstrip())
    out = [lines[i]]
    for line in lines[i + 1 :]:
        if line.strip() and not line.lstrip().startswith("#"):
            if len(line) - len(line.lstrip()) <= indent:
                break
        out.append(line)
    return "\n".join(out)


def _prop(name: str, lid: str, key: str) -> str:
    m = re.search(rf"^\s*{key}:\s*(.+?)\s*(#.*)?$", _block(name, lid), re.M)
    assert m is not None, (name, lid, key)
    return m.group(1).strip("'\"")


def _import(name: str, params: dict[str, str] | None = None) -> Any:
    return import_template(SAM / name, params or (S3_PARAMS if name.startswith("s3-") else None))


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_imports_to_a_valid_runnable_scenario(name: str, tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    args = ["import", "sam", str(SAM / name), "-o", str(out)]
    if name.startswith("s3-"):
        args += [a for k, v in S3_PARAMS.items() for a in ("--parameter", f"{k}={v}")]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    sc = ls.load(out)
    assert set(sc.functions) == set(_import(name).config["functions"])
    res = ls.run(sc.replace({"horizon_s": 120}))
    assert set(res.functions) == set(sc.functions)
    v = runner.invoke(app, ["validate", str(out)])
    assert v.exit_code == 0
    n = out.read_text().count("# PLACEHOLDER")
    assert len(re.findall(r": placeholder \(", v.output)) == n > 0


def test_sqs_with_dlq_globals_parameters_and_esm_provisioned_pollers() -> None:
    name = "sqs-lambda-lmi-esm-provisioned-sam.yaml"
    imp = _import(name)
    cfg = imp.config
    q = cfg["queues"]["MessageQueue"]
    assert q["visibility_timeout_s"] == float(_prop(name, "MessageQueue", "VisibilityTimeout"))
    assert q["retention_s"] == float(_prop(name, "MessageQueue", "MessageRetentionPeriod"))
    assert q["max_receive_count"] == int(_prop(name, "RedrivePolicy", "maxReceiveCount"))
    assert q["redrive_to"] == "DeadLetterQueue"
    dlq_retention = float(_prop(name, "DeadLetterQueue", "MessageRetentionPeriod"))
    assert cfg["queues"]["DeadLetterQueue"]["retention_s"] == dlq_retention
    fn = cfg["functions"]["ProcessorFunction"]
    # Globals.Function: no property on the function itself
    assert fn["memory_mb"] == int(_prop(name, "Globals", "MemorySize"))
    assert fn["timeout_s"] == float(_prop(name, "Globals", "Timeout"))
    assert fn["runtime"] == _prop(name, "Globals", "Runtime")
    assert fn["architecture"] == "arm64"
    sqs = fn["trigger"]["sqs"]
    assert sqs["batch_size"] == int(_prop(name, "BatchSize", "Default"))
    assert sqs["max_batching_window_s"] == float(_prop(name, "MaxBatchingWindowSeconds", "Default"))
    assert sqs["mode"]["provisioned"] == {
        "min_pollers": int(_prop(name, "MinPollers", "Default")),
        "max_pollers": int(_prop(name, "MaxPollers", "Default")),
    }
    assert sqs["report_batch_item_failures"] is True
    assert not any("not modelled" in w for w in imp.warnings)  # LMI: test_lambda_managed_*
    assert set(imp.placeholders) == {
        "functions.ProcessorFunction.duration",
        "workloads.0.arrivals.rate_per_s",
        "capacity_providers.CapacityProvider.instance_type",  # the template names no type
    }
    # --parameter overrides the Default; one outside MinValue/MaxValue is a warning
    imp2 = _import(name, {"MaxPollers": "50", "MinPollers": "1"})
    assert (
        imp2.config["functions"]["ProcessorFunction"]["trigger"]["sqs"]["mode"]["provisioned"][
            "max_pollers"
        ]
        == 50
    )
    assert any(w.startswith("Parameters.MinPollers") and "MinValue" in w for w in imp2.warnings)


def test_schedule_from_a_scheduler_resource_with_globals() -> None:
    name = "eventbridge-schedule-to-lambda.yaml"
    imp = _import(name)
    fn = imp.config["functions"]["ScheduledLambdaFunction"]
    assert fn["timeout_s"] == float(_prop(name, "Globals", "Timeout"))
    assert fn["memory_mb"] == 128  # MemorySize absent: AWS's default (§3)
    (wl,) = imp.config["workloads"]
    raw = _prop(name, "MyFirstSchedule", "ScheduleExpression")  # 'rate(5 minute)'
    assert raw == "rate(5 minute)"
    assert wl["arrivals"] == {"kind": "schedule", "expression": "rate(5 minutes)"}
    assert wl["invocation"] == "async" and wl["target"] == "ScheduledLambdaFunction"
    assert any(
        w.startswith("Resources.MyFirstSchedule.Properties.ScheduleExpression")
        for w in imp.warnings
    )
    assert "workloads.0.arrivals" not in " ".join(imp.placeholders)  # a schedule says its rate


def test_plain_cloudformation_events_rule_schedule() -> None:
    name = "function-inline.yml"
    imp = _import(name)
    fn = imp.config["functions"]["function"]
    assert fn["memory_mb"] == int(_prop(name, "function", "MemorySize"))
    assert fn["timeout_s"] == float(_prop(name, "function", "Timeout"))
    (wl,) = imp.config["workloads"]
    assert wl["arrivals"]["expression"] == _prop(name, "scheduledEvent", "ScheduleExpression")
    # rate(2 minutes) over the default hour: 30 firings, each one async invocation
    res = ls.run(ls.Scenario.from_dict(imp.config))
    assert res.functions["function"]["async"]["events_received"] == 3600 // 120
    assert res.functions["function"]["invocations_run"] == 3600 // 120


def test_stream_with_on_failure_destination() -> None:
    name = "kinesis-lambda-error-handling.yaml"
    imp = _import(name)
    s = imp.config["streams"]["DataActivityKinesisStream"]
    assert s["shards"] == int(_prop(name, "DataActivityKinesisStream", "ShardCount"))
    hours = int(_prop(name, "DataActivityKinesisStream", "RetentionPeriodHours"))
    assert s["retention_s"] == hours * 3600
    t = imp.config["functions"]["KinesisDataStreamProcessor"]["trigger"]["stream"]
    ev = "DataActivityKinesisEvent"
    assert t["batch_size"] == int(_prop(name, ev, "BatchSize"))
    assert t["max_retry_attempts"] == int(_prop(name, ev, "MaximumRetryAttempts"))
    assert t["max_record_age_s"] == float(_prop(name, ev, "MaximumRecordAgeInSeconds"))
    assert t["bisect_batch_on_error"] is (_prop(name, ev, "BisectBatchOnFunctionError") == "true")
    assert t["on_failure"] == {"queue": "AnomalyDataQueue"}
    assert imp.config["workloads"][0]["target"] == "stream:DataActivityKinesisStream"


def test_dynamodb_stream_shards_are_a_placeholder() -> None:
    name = "dynamodb-lambda.yaml"
    imp = _import(name)
    assert imp.config["streams"]["MyDynamoDBtable"]["kind"] == "dynamodb"
    t = imp.config["functions"]["DynamoDBProcessStreamFunction"]["trigger"]["stream"]
    assert t["batch_size"] == int(_prop(name, "MyDynamoDBtable", "BatchSize"))
    assert "streams.MyDynamoDBtable.shards" in imp.placeholders


def test_alias_with_snapstart_and_globals() -> None:
    name = "apigw-lambda-snapstart.yaml"
    imp = _import(name)
    fn = imp.config["functions"]["UnicornStoreSpringFunction"]
    assert fn["runtime"] == _prop(name, "Globals", "Runtime") + "-snapstart"
    assert fn["cold_start"] == {"preset": "java-snapstart"}
    assert fn["memory_mb"] == int(_prop(name, "Globals", "MemorySize"))
    (wl,) = imp.config["workloads"]
    assert wl["invocation"] == "sync" and wl["source"] == "api"


def test_missing_parameters_are_warnings_naming_resource_and_property() -> None:
    name = "s3-sqs-lambda.yaml"
    imp = import_template(SAM / name)
    declared = re.findall(r"^  (\w+):\n    Type: String", _block(name, "Parameters"), re.M)
    assert declared == list(S3_PARAMS)
    for p in declared:
        assert any(f"parameter {p} has no Default" in w for w in imp.warnings)
    assert any(w.startswith("Resources.ResizerQueue.Properties.QueueName") for w in imp.warnings)
    assert not _import(name).warnings
    assert imp.config["functions"]["ResizerFunction"]["memory_mb"] == int(
        _prop(name, "ResizerFunction", "MemorySize")
    )
    with pytest.raises(TemplateError, match="Nope: not a parameter"):
        import_template(SAM / name, {"Nope": "1"})


#: A synthetic template (written for this test, not a public one) exercising what the public
#: templates above do not: provisioned concurrency on an AutoPublishAlias and on an
#: AWS::Lambda::Alias (the CloudFormation guide's example: 20 on alias BLUE), EventInvokeConfig,
#: DLQ, conditions, mappings and intrinsics, an unknown tag.
SYNTHETIC = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Pc: {Type: Number, Default: 5}
Mappings:
  Sizes: {dev: {Mem: 512}, prod: {Mem: 2048}}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
Globals:
  Function:
    Runtime: python3.12
    Timeout: 20
    Environment: {Variables: {A: '1'}}
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      MemorySize: !FindInMap [Sizes, !Ref Stage, Mem]
      Timeout: !If [IsProd, 10, 15]
      AutoPublishAlias: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: !Ref Pc}
      ReservedConcurrentExecutions: 50
      Architectures: [!Select [0, !Split [',', 'arm64,x86_64']]]
      Events:
        Get: {Type: HttpApi, Properties: {Path: /x, Method: get}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: !Sub '${AWS::Region}-${Stage}'
      Description: !ImportValue other-stack-output
      Weird: !Foo bar
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        MaximumEventAgeInSeconds: 600
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Failed.Arn}
          OnSuccess: {Type: Lambda, Destination: !GetAtt Api.Arn}
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dlq.Arn}
      Events:
        Up: {Type: S3, Properties: {Bucket: !Ref B, Events: 's3:ObjectCreated:*'}}
  Legacy:
    Type: AWS::Lambda::Function
    Properties: {Runtime: java21, MemorySize: 1024, Code: {ZipFile: x}, Handler: h, Role: r}
  LegacyVersion:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Legacy}
  LegacyAlias:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Legacy
      FunctionVersion: !GetAtt LegacyVersion.Version
      Name: BLUE
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 20}
  ProdOnly:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {Runtime: nodejs22.x}
  B: {Type: AWS::S3::Bucket}
  Failed: {Type: AWS::SQS::Queue}
  Dlq: {Type: AWS::SQS::Queue}
"""


def test_provisioned_concurrency_async_settings_and_intrinsics(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(SYNTHETIC)
    imp = import_template(p)
    f = imp.config["functions"]
    assert set(f) == {"Api", "Worker", "Legacy"}  # ProdOnly: condition IsProd false
    assert f["Api"]["memory_mb"] == 512 and f["Api"]["timeout_s"] == 15  # FindInMap, If
    assert f["Api"]["provisioned_concurrency"] == 5 and f["Api"]["reserved_concurrency"] == 50
    assert f["Api"]["architecture"] == "arm64"  # Select/Split
    assert f["Worker"]["timeout_s"] == 20 and f["Worker"]["runtime"] == "python3.12"  # Globals
    assert f["Legacy"]["provisioned_concurrency"] == 20 and f["Legacy"]["timeout_s"] == 3
    assert f["Worker"]["async"] == {
        "max_retry_attempts": 1,
        "max_event_age_s": 600.0,
        "on_failure": {"queue": "Failed"},
        "on_success": {"function": "Api"},
        "dead_letter": {"queue": "Dlq"},
    }
    assert any(
        w.startswith("Resources.Worker.Properties.Weird") and "Fn::Foo" in w for w in imp.warnings
    )
    assert not any("ImportValue" in w for w in imp.warnings)  # Description is never evaluated
    prod = import_template(p, {"Stage": "prod"}).config["functions"]
    assert (
        "ProdOnly" in prod and prod["Api"]["memory_mb"] == 2048 and prod["Api"]["timeout_s"] == 10
    )
    kinds = {(w["target"], w.get("invocation")) for w in imp.config["workloads"]}
    assert {("Api", "sync"), ("Worker", "async"), ("Legacy", "sync")} <= kinds


def test_json_template_and_long_form_intrinsics(tmp_path: Path) -> None:
    doc = {
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 120}},
            "F": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"MemorySize": 256, "Timeout": 20, "Runtime": "nodejs20.x"},
            },
            "M": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "F"},
                    "EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]},
                    "BatchSize": 50,
                    "MaximumBatchingWindowInSeconds": 2,
                    "ScalingConfig": {"MaximumConcurrency": 7},
                },
            },
        }
    }
    p = tmp_path / "t.json"
    p.write_text(json.dumps(doc))
    cfg = import_template(p).config
    t = cfg["functions"]["F"]["trigger"]["sqs"]
    assert t == {"queue": "Q", "max_batching_window_s": 2.0, "batch_size": 50, "max_concurrency": 7}
    assert cfg["queues"]["Q"]["visibility_timeout_s"] == 120


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("a: [1, 2\n", "not valid YAML"),
        ("- 1\n- 2\n", "not a CloudFormation template"),
        ("Resources: {}\n", "no Resources"),
        ("x: !!python/object/apply:os.system ['true']\nResources: {A: {Type: X}}\n", "safe loader"),
        ('{"Resources": ', "not valid JSON"),
        ("Resources:\n  A: {Type: AWS::SQS::Queue}\n", "nothing to simulate"),
    ],
)
def test_not_a_template_is_one_clear_error_exit_2(tmp_path: Path, text: str, what: str) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(text)
    with pytest.raises(TemplateError, match=what):
        import_template(p)
    r = runner.invoke(app, ["import", "sam", str(p)])
    assert r.exit_code == 2 and what in r.output and "Traceback" not in r.output


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\nResources: {A: {Type: X, Properties: {B: *a8}}}\n")
    t0 = time.perf_counter()
    with pytest.raises(TemplateError, match="aliases"):
        load_template(p)
    assert time.perf_counter() - t0 < 5.0


def test_short_tags_load_as_their_long_forms(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(
        "Resources:\n  A:\n    Type: X\n    Properties:\n"
        "      R: !Ref B\n      G: !GetAtt B.Arn.Sub\n      S: !Sub '${B}'\n"
        "      J: !Join [',', [a, b]]\n      C: !Cidr [!GetAZs '', 2, 8]\n"
    )
    props = load_template(p).resources["A"]["Properties"]
    assert props["R"] == {"Ref": "B"} and props["G"] == {"Fn::GetAtt": ["B", "Arn.Sub"]}
    assert props["S"] == {"Fn::Sub": "${B}"} and props["J"] == {"Fn::Join": [",", ["a", "b"]]}
    assert props["C"] == {"Fn::Cidr": [{"Fn::GetAZs": ""}, 2, 8]}


def test_placeholder_marks_round_trip_and_ignore_quoted_hashes() -> None:
    text = yaml.safe_dump(
        {"a": {"rate_per_s": 1.0, "note": "x # PLACEHOLDER: not me"}, "b": [{"c": 2}]},
        sort_keys=False,
    )
    marked = mark(text, {"a.rate_per_s": "set it", "b.0.c": "and this"})
    issues = placeholder_issues(marked)
    assert [(i.path, i.value) for i in issues] == [("a.rate_per_s", 1.0), ("b.0.c", 2)]
    assert all(i.line is not None for i in issues)
    assert placeholder_issues(text) == []


def test_application_auto_scaling_of_provisioned_concurrency(tmp_path: Path) -> None:
    # synthetic: the Lambda guide's target tracking example (alias BLUE, 1–100, target 0.7)
    p = tmp_path / "aas.yaml"
    p.write_text(
        """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs22.x, AutoPublishAlias: BLUE, ReservedConcurrentExecutions: 200}
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: lambda
      ScalableDimension: lambda:function:ProvisionedConcurrency
      ResourceId: !Sub function:${Fn}:BLUE
      MinCapacity: 1
      MaxCapacity: 100
      ScheduledActions:
        - Schedule: cron(0 8 * * ? *)
          ScalableTargetAction: {MinCapacity: 10, MaxCapacity: 100}
  Policy:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyType: TargetTrackingScaling
      ScalingTargetId: !Ref Target
      TargetTrackingScalingPolicyConfiguration:
        TargetValue: 0.7
        PredefinedMetricSpecification:
          PredefinedMetricType: LambdaProvisionedConcurrencyUtilization
"""
    )
    pc = import_template(p).config["functions"]["Fn"]["provisioned_concurrency"]
    assert pc == {
        "initial": 1,
        "schedule": [{"cron": "cron(0 8 * * ? *)", "value": 10}],
        "target_tracking": {"target_utilization": 0.7, "min": 1, "max": 100},
    }


def test_import_sam_with_logs_calibrates_the_function(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    logs = ROOT / "tests" / "data" / "cirrus2025-logs" / "aws_6_cloudwatch.json.gz"
    name = "apigw-lambda-snapstart.yaml"
    r = runner.invoke(app, ["import", "sam", str(SAM / name), "--logs", str(logs), "-o", str(out)])
    assert r.exit_code == 0, r.output
    sc = ls.load(out)
    (wl,) = sc.workloads
    assert wl.arrivals.kind == "trace" and wl.arrivals.format == "cloudwatch_logs"
    assert wl.invocation == "sync"  # the Api event's, kept
    fn = sc.functions["UnicornStoreSpringFunction"]
    assert fn.memory_mb == int(_prop(name, "Globals", "MemorySize"))  # the template's is kept
    assert wl.arrivals.memory_mb == 1769  # the logs' Memory Size
    assert "# PLACEHOLDER" not in out.read_text()
    assert sc.pricing.table == "aws-lambda@2025-06"  # the logs are of 2025-05-12
    several = tmp_path / "two.yaml"
    several.write_text(SYNTHETIC)
    r2 = runner.invoke(app, ["import", "sam", str(several), "--logs", str(logs)])
    assert r2.exit_code == 2 and "--function NAME" in r2.output


def _getatt(name: str, lid: str, key: str) -> str:
    """The logical id of ``key: !GetAtt ID.Arn`` in resource ``lid`` of template ``name``."""
    m = re.search(rf"^\s*{key}:\s*!GetAtt\s+(\w+)\.Arn\s*$", _block(name, lid), re.M)
    assert m is not None, (name, lid, key)
    return m.group(1)


def test_lambda_managed_instances_from_the_lmi_template(tmp_path: Path) -> None:
    from lambdasim.config.managed_instances import INSTANCE_TYPES

    name = "sqs-lambda-lmi-esm-provisioned-sam.yaml"
    imp = _import(name)
    cp = _getatt(name, "ProcessorFunction", "Arn")  # CapacityProviderConfig.Arn
    assert cp == "CapacityProvider"
    mi = imp.config["functions"]["ProcessorFunction"]["managed_instances"]
    ratio = float(_prop(name, "ProcessorFunction", "ExecutionEnvironmentMemoryGiBPerVCpu"))
    assert mi == {
        "capacity_provider": cp,
        "memory_gib_per_vcpu": ratio,
        "max_concurrency_per_environment": int(
            _prop(name, "ProcessorFunction", "PerExecutionEnvironmentMaxConcurrency")
        ),
    }
    block = imp.config["capacity_providers"][cp]
    assert block["max_vcpus"] == int(_prop(name, cp, "MaxVCpuCount"))
    # AverageCPUUtilization is a percentage (SAM "ScalingConfig"); lambdasim takes a fraction
    assert block["scaling"] == {
        "target_cpu_utilization": float(_prop(name, cp, "AverageCPUUtilization")) / 100
    }
    # the template names no instance type: a placeholder of the template's architecture and of
    # the function's memory-to-vCPU ratio, the smallest such type (c7g: 2 GiB per vCPU)
    spec = INSTANCE_TYPES[block["instance_type"]]
    arch = re.search(r"Architectures:\s*\n\s*-\s*(\w+)", _block(name, cp))  # InstanceRequirements
    assert arch is not None and spec.architecture == arch.group(1)
    assert spec.memory_gib / spec.vcpus == ratio
    assert spec.vcpus == min(s.vcpus for s in INSTANCE_TYPES.values())
    assert f"capacity_providers.{cp}.instance_type" in imp.placeholders
    sc = ls.Scenario.from_dict(imp.config).replace({"horizon_s": 300})
    res = ls.run(sc)
    f = res.functions["ProcessorFunction"]
    assert "managed_instances" in f and f["invocations_run"] > 0
    assert res.queues["MessageQueue"]["deleted"] > 0


def test_lambda_managed_instances_from_the_sam_integration_templates() -> None:
    name = "function_lmi_default.yaml"
    imp = _import(name)
    cp = _getatt(name, "MyFunction", "Arn")
    assert set(imp.config["capacity_providers"]) == {cp} == {"SimpleCapacityProvider"}
    # AdvancedCapacityProvider: no function runs on it; MyFunction has no MemorySize (128 MB,
    # AWS's default, §3), below the 2 GB of an LMI environment: a placeholder
    assert any("AdvancedCapacityProvider" in n and "left out" in n for n in imp.notes)
    fn = imp.config["functions"]["MyFunction"]
    assert fn["memory_mb"] == 128 and fn["managed_instances"]["memory_gib"] == 2.0
    assert "functions.MyFunction.managed_instances.memory_gib" in imp.placeholders
    assert any("x86_64" in w and "Architectures" in w for w in imp.warnings)  # SAM's default
    assert imp.config["capacity_providers"][cp]["max_vcpus"] == 400  # no MaxVCpuCount: note
    custom = _import("function_lmi_custom.yaml")
    assert set(custom.config["capacity_providers"]) == {
        _getatt("function_lmi_custom.yaml", "MyFunction", "Arn")
    }
    # OperatorRole, KmsKeyArn, VpcConfig: read silently (nothing of the model)
    assert not any("not understood" in w or "no Default" in w for w in custom.warnings)


CFN_LMI = """
Resources:
  Fleet:
    Type: AWS::Lambda::CapacityProvider
    Properties:
      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}
      PermissionsConfig: {CapacityProviderOperatorRoleArn: arn:aws:iam::123456789012:role/op}
      InstanceRequirements:
        Architectures: [arm64]
        AllowedInstanceTypes: [m5.large, m7g.2xlarge]
      CapacityProviderScalingConfig:
        MaxVCpuCount: 8
        ScalingMode: Manual
        ScalingPolicies:
          - {PredefinedMetricType: LambdaCapacityProviderAverageCPUUtilization, TargetValue: 60}
  Orders:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: java21
      MemorySize: 4096
      ReservedConcurrentExecutions: 50
      CapacityProviderConfig:
        LambdaManagedInstancesCapacityProviderConfig:
          CapacityProviderArn: !GetAtt Fleet.Arn
          ExecutionEnvironmentMemoryGiBPerVCpu: 4
          PerExecutionEnvironmentMaxConcurrency: 32
      FunctionScalingConfig: {MinExecutionEnvironments: 2, MaxExecutionEnvironments: 10}
  Old:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      MemorySize: 2048
      CapacityProviderConfig:
        LambdaManagedInstancesCapacityProviderConfig: {CapacityProviderArn: !GetAtt Fleet.Arn}
  Elsewhere:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs22.x
      MemorySize: 2048
      CapacityProviderConfig:
        LambdaManagedInstancesCapacityProviderConfig:
          CapacityProviderArn: arn:aws:lambda:us-east-1:123456789012:capacity-provider:shared
"""


def test_cloudformation_capacity_provider_and_what_the_template_cannot_say(
    tmp_path: Path,
) -> None:
    # synthetic, written from the CloudFormation reference (AWS::Lambda::CapacityProvider,
    # AWS::Lambda::Function CapacityProviderConfig / FunctionScalingConfig): no public
    # CloudFormation-form LMI template was found
    p = tmp_path / "t.yaml"
    p.write_text(CFN_LMI)
    imp = import_template(p)
    fleet = imp.config["capacity_providers"]["Fleet"]
    assert fleet["instance_type"] == "m7g.2xlarge"  # the allowed type lambdasim prices
    assert "capacity_providers.Fleet.instance_type" not in imp.placeholders
    assert any("m5.large" in w and "price table" in w for w in imp.warnings)
    assert fleet["scaling"] == {"target_cpu_utilization": 0.6}  # TargetValue 60 (%)
    # 8 vCPUs hold one m7g.2xlarge; three instances at least (AZ resiliency): 24
    assert fleet["max_vcpus"] == 3 * 8
    assert any("MaxVCpuCount" in w and "24 used" in w for w in imp.warnings)
    orders = imp.config["functions"]["Orders"]
    assert orders["managed_instances"] == {
        "capacity_provider": "Fleet",
        "memory_gib_per_vcpu": 4.0,
        "max_concurrency_per_environment": 32,
        "min_environments": 2,
        "max_environments": 10,
    }
    assert "reserved_concurrency" not in orders
    assert any(w.startswith("Resources.Orders") and "reserved" in w for w in imp.warnings)
    # python3.12 does not run on LMI (Python 3.13+): AWS rejects it, standard Lambda here
    assert "managed_instances" not in imp.config["functions"]["Old"]
    assert any(w.startswith("Resources.Old.Properties.Runtime") for w in imp.warnings)
    # a capacity provider outside the template: its name from the ARN, a placeholder type
    assert imp.config["functions"]["Elsewhere"]["managed_instances"]["capacity_provider"] == (
        "shared"
    )
    assert "capacity_providers.shared.instance_type" in imp.placeholders
    assert ls.run(ls.Scenario.from_dict(imp.config).replace({"horizon_s": 60})).functions


def _pages_total(path: Path) -> int:
    """Invocations Sum of a get-metric-data export, each timestamp once (pages overlap)."""
    per: dict[str, float] = {}
    text = path.read_text()
    for line in text.splitlines():
        for r in json.loads(line)["MetricDataResults"]:
            if r["Id"] == "inv":
                per.update(dict(zip(r["Timestamps"], r["Values"], strict=True)))
    return int(sum(per.values()))


def test_import_sam_with_metrics_fills_arrivals_and_duration(tmp_path: Path) -> None:
    from tests.unit.test_traces import _cw_pages  # the pages `import cloudwatch` tests use

    pages = _cw_pages(tmp_path)
    out = tmp_path / "s.yaml"
    name = "apigw-lambda-snapstart.yaml"
    args = ["import", "sam", str(SAM / name), "--metrics", str(pages), "--spread", "equidistant"]
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "# PLACEHOLDER" not in out.read_text()
    sc = ls.load(out)
    (wl,) = sc.workloads
    assert wl.arrivals.kind == "trace" and wl.arrivals.format == "cloudwatch"
    assert wl.invocation == "sync"  # the Api event's, kept
    # the pages: periods 10:00 … 10:05 (60 s each; two missing), Duration Average 200 ms and
    # p99 1,000 ms at 10:05
    stamps = sorted(
        {
            t
            for line in pages.read_text().splitlines()
            for x in json.loads(line)["MetricDataResults"]
            for t in x["Timestamps"]
        }
    )
    assert sc.start_time == datetime.fromisoformat(stamps[0].replace("Z", "+00:00"))
    assert sc.horizon_s == 6 * 60  # 10:00 … 10:05
    dur = sc.functions["UnicornStoreSpringFunction"].duration
    assert isinstance(dur, LognormalDuration)
    assert dur.build().mean == pytest.approx(0.200) and dur.p99_s == pytest.approx(1.000)
    assert sc.functions["UnicornStoreSpringFunction"].memory_mb == int(
        _prop(name, "Globals", "MemorySize")
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ls.run(sc)  # equidistant: each period's Sum exactly
    msgs = " ".join(str(w.message) for w in caught)
    assert "2 missing period" in msgs and "PartialData" in msgs  # the pages' own gaps, status
    assert res.functions["UnicornStoreSpringFunction"]["invocations_run"] == _pages_total(pages)
    # a queue-polled function keeps its queue's arrivals (Invocations count batches)
    lmi = "sqs-lambda-lmi-esm-provisioned-sam.yaml"
    r2 = runner.invoke(app, ["import", "sam", str(SAM / lmi), "--metrics", str(pages)])
    assert r2.exit_code == 0, r2.output
    assert "rate_per_s: 1.0  # PLACEHOLDER" in r2.stdout and "format: cloudwatch" not in r2.stdout
    assert "duration:  # PLACEHOLDER" not in r2.stdout


def test_import_sam_metrics_bad_inputs_exit_2(tmp_path: Path) -> None:
    from tests.unit.test_traces import _cw_pages

    pages = _cw_pages(tmp_path)
    logs = ROOT / "tests" / "data" / "cirrus2025-logs" / "aws_6_cloudwatch.json.gz"
    sam = str(SAM / "apigw-lambda-snapstart.yaml")
    both = runner.invoke(app, ["import", "sam", sam, "--metrics", str(pages), "--logs", str(logs)])
    assert both.exit_code == 2 and "not both" in both.output
    several = tmp_path / "two.yaml"
    several.write_text(SYNTHETIC)
    r = runner.invoke(app, ["import", "sam", str(several), "--metrics", str(pages)])
    assert r.exit_code == 2 and "--metrics" in r.output and "--function NAME" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"nope": 1}')
    r = runner.invoke(app, ["import", "sam", sam, "--metrics", str(bad)])
    assert r.exit_code == 2 and "MetricDataResults" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["import", "sam", sam, "--metrics", str(pages), "--spread", "x"])
    assert r.exit_code == 2 and "--spread" in r.output
