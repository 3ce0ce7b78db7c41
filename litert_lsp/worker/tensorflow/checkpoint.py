"""Restore TensorFlow checkpoints: TF2 object-based ones into a built Keras model, TF1 ones
(`.ckpt.meta` + `.ckpt`) into a graph that is then written as a SavedModel. Worker-only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from litert_lsp.jobs.job import ExportError

# Top-level checkpoint names that hold training state, never the model.
_BOOKKEEPING = {"_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter", "optimizer", "step", "epoch", "global_step"}
# TF1 graph parts that are never a model output: saving, initialisation, training.
_NON_OUTPUT_SCOPES = re.compile(r"^(save(_\d+)?|gradients(_\d+)?|init|report_uninitialized_variables)(/|$)")
_NON_OUTPUT_TYPES = {
    "NoOp", "Assign", "AssignVariableOp", "VarIsInitializedOp", "IsVariableInitialized", "SaveV2", "RestoreV2",
    "VarHandleOp", "VariableV2", "Const", "Placeholder", "PlaceholderWithDefault", "ReadVariableOp",
}


def checkpoint_prefix(path: Path) -> Path:
    """The prefix TF wants, from what a user points at: the prefix itself, its `.index` or
    `.data-*` file, or a folder with a `checkpoint` state file."""
    if path.is_dir():
        latest = tf.train.latest_checkpoint(str(path))
        if latest is None:
            indexes = sorted(path.glob("*.index"))
            if len(indexes) != 1:
                raise ExportError("restore", f"{path} holds no single TF checkpoint (no `checkpoint` file, "
                                  f"{len(indexes)} .index files); point --checkpoint at one .index file.")
            return indexes[0].with_suffix("")
        return Path(latest)
    name = path.name
    if name.endswith(".index"):
        return path.with_name(name[: -len(".index")])
    match = re.match(r"(.*)\.data-\d+-of-\d+$", name)
    if match:
        return path.with_name(match.group(1))
    if name.endswith(".meta"):
        return path.with_name(name[: -len(".meta")])
    return path


def read_variables(prefix: Path) -> list[tuple[str, list[int]]]:
    if not Path(f"{prefix}.index").is_file():
        raise ExportError("restore", f"checkpoint {prefix} not found: no file {prefix.name}.index beside it.")
    try:
        return [(name, list(shape)) for name, shape in tf.train.list_variables(str(prefix))]
    except Exception as error:  # corrupt files raise assorted OpErrors
        raise ExportError("restore", f"checkpoint {prefix} cannot be read (corrupt or truncated?): {_short(error)}") from error


@dataclass
class RestoreReport:
    prefix: str
    root: str  # the checkpoint name the model was found under ("" for a model-rooted checkpoint)
    restored_variables: int
    ignored: list[str] = field(default_factory=list)  # training state left unused, by design


def restore_tf2(model: Any, prefix: Path) -> RestoreReport:
    """Restore a TF2 checkpoint into `model` (already built) and insist that it fits:
    every model variable found a value, no checkpoint value under the model went unused."""
    variables = read_variables(prefix)
    if not any(name.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for name, _ in variables):
        raise ExportError("restore", f"{prefix} is not an object-based (TF2) checkpoint; for a TF1 checkpoint "
                          "export its .meta file instead.")
    root = _model_root(variables, model)
    mismatched = _shape_mismatches(variables, model, root)
    if mismatched:
        raise ExportError(
            "restore",
            f"the checkpoint does not fit the model: {len(mismatched)} variable(s) differ in shape (wrong "
            f"architecture or constructor arguments?): {'; '.join(mismatched[:6])}{' ...' if len(mismatched) > 6 else ''}",
        )
    checkpoint = tf.train.Checkpoint(root=model) if root == "" else tf.train.Checkpoint(**{root: model})
    try:
        status = checkpoint.read(str(prefix))
    except (ValueError, tf.errors.InvalidArgumentError) as error:
        raise ExportError("restore", f"the checkpoint does not fit the model: {_short(error)}") from error
    except Exception as error:  # truncated data files raise IndexError, OpError, ...
        raise ExportError("restore", f"checkpoint {prefix} cannot be read (corrupt or truncated?): {_short(error)}") from error
    try:
        status.assert_existing_objects_matched()
    except AssertionError as error:
        missing = _unmatched_variables(model, status) or [_short(error)]
        raise ExportError(
            "restore",
            f"{len(missing)} model variable(s) have no value in the checkpoint (wrong architecture or "
            f"checkpoint?): {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}",
        ) from None
    unused = _unused_checkpoint_values(status, root)
    if unused:
        raise ExportError(
            "restore",
            f"{len(unused)} checkpoint value(s) under '{root or 'the root'}' fit nothing in the model (wrong "
            f"architecture?): {', '.join(unused[:8])}{' ...' if len(unused) > 8 else ''}",
        )
    tops = {name.split("/")[0] for name, _ in variables} - {"_CHECKPOINTABLE_OBJECT_GRAPH"}
    ignored = sorted(tops - {root}) if root else sorted(tops & _BOOKKEEPING)
    status.expect_partial()  # training state (optimizer, counters) is deliberately not restored
    return RestoreReport(str(prefix), root, len(model.variables), ignored)


def _model_root(variables: list[tuple[str, list[int]]], model: Any) -> str:
    tops = {name.split("/")[0] for name, _ in variables} - _BOOKKEEPING
    if "model" in tops:
        return "model"
    children = {child for child in _child_names(model)}
    if tops & children:
        return ""  # written by model.save_weights-style code: the model is the root
    if len(tops) == 1:
        return next(iter(tops))
    raise ExportError("restore", f"cannot tell which checkpoint entry holds the model: {', '.join(sorted(tops))}; "
                      "save it as tf.train.Checkpoint(model=...).")


def _shape_mismatches(variables: list[tuple[str, list[int]]], model: Any, root: str) -> list[str]:
    """Every checkpoint value whose object path resolves to a model variable of another shape.

    TF's own restore stops at the first mismatch and names it by an auto-generated variable name;
    walking the same attribute path gives all of them, named as the user wrote them."""
    suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
    found = []
    for key, shape in variables:
        if not key.endswith(suffix) or (root and not key.startswith(root + "/")):
            continue
        parts = key[len(root) + 1 if root else 0: -len(suffix)].split("/")
        target: Any = model
        for part in parts:
            if part.isdigit() and isinstance(target, (list, tuple)) and int(part) < len(target):
                target = target[int(part)]
            else:
                target = getattr(target, part, None)
            if target is None:
                break
        model_shape = getattr(target, "shape", None)
        if target is None or model_shape is None:
            continue
        try:
            model_dims = [int(d) for d in model_shape]
        except (TypeError, ValueError):
            continue
        if model_dims != list(shape):
            name = ".".join(p.lstrip("_") for p in parts)
            found.append(f"{name}: checkpoint {list(shape)}, model {model_dims}")
    return found


def _child_names(model: Any) -> list[str]:
    try:
        return list(tf.train.TrackableView(model).children(model))
    except Exception:  # noqa: BLE001 - best effort: only used to recognise a model-rooted checkpoint
        return []


def _unmatched_variables(model: Any, status: Any) -> list[str]:
    bound = {id(v) for v in getattr(status._checkpoint, "object_by_proto_id", {}).values()}
    paths = _attribute_paths(model)
    names = []
    for variable in model.variables:
        inner = getattr(variable, "value", variable)
        if id(variable) not in bound and id(inner) not in bound:
            name = paths.get(id(variable)) or getattr(variable, "path", variable.name)
            names.append(f"{name} {list(variable.shape)}")
    return names


def _attribute_paths(model: Any, depth: int = 6) -> dict[int, str]:
    """id(variable) → the attribute path the user wrote (`extra.kernel`), found by walking the
    model's layer attributes; Keras' own variable paths use generated layer names (`dense_9`)."""
    found: dict[int, str] = {}
    queue: list[tuple[Any, str, int]] = [(model, "", 0)]
    seen: set[int] = set()
    while queue:
        obj, prefix, level = queue.pop(0)
        if id(obj) in seen or level > depth:
            continue
        seen.add(id(obj))
        items: list[tuple[str, Any]] = []
        if isinstance(obj, (list, tuple)):
            items = [(str(i), v) for i, v in enumerate(obj)]
        elif isinstance(obj, keras.layers.Layer):
            items = [(k.lstrip("_"), v) for k, v in vars(obj).items() if not k.startswith("__")]
        for key, value in items:
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, keras.Variable):
                found.setdefault(id(value), path)
            elif isinstance(value, (keras.layers.Layer, list, tuple)):
                queue.append((value, path, level + 1))
    return found


def _unused_checkpoint_values(status: Any, root: str) -> list[str]:
    """Checkpoint objects holding values under the model's root that nothing was bound to.

    Reads the load status's object table (not public API; if it moves, falls back to
    assert_consumed's first complaint)."""
    try:
        graph = status._checkpoint.object_graph_proto
        bound = status._checkpoint.object_by_proto_id
    except AttributeError:
        try:
            status.assert_consumed()
            return []
        except AssertionError as error:
            return [_short(error)]
    paths = _node_paths(graph)
    unused = []
    for node_id, node in enumerate(graph.nodes):
        if not node.attributes or node_id in bound:
            continue
        path = paths.get(node_id, "")
        if root and not (path == root or path.startswith(root + "/")):
            continue
        if not root and path.split("/")[0] in _BOOKKEEPING:
            continue
        if ".OPTIMIZER_SLOT" in path or "/optimizer/" in path:
            continue
        unused.append(".".join(part.lstrip("_") for part in path.split("/")))
    return unused


def _node_paths(graph: Any) -> dict[int, str]:
    paths = {0: ""}
    queue = [0]
    while queue:
        node_id = queue.pop()
        for child in graph.nodes[node_id].children:
            if child.node_id not in paths:
                parent = paths[node_id]
                paths[child.node_id] = f"{parent}/{child.local_name}" if parent else child.local_name
                queue.append(child.node_id)
    return paths


@dataclass
class GraphSignature:
    inputs: list[str]  # tensor names, in order
    outputs: list[str]
    chosen_automatically: bool
    # A graph saved during training (gradients, an optimizer or a loss op): the ops nothing
    # consumes there are the loss, whose inputs include the labels.
    training: bool = False
    # The losses set aside, when the model-side outputs could be told (then those are `outputs`).
    losses: list[str] = field(default_factory=list)


def tf1_to_saved_model(
    meta: Path, prefix: Path, input_names: list[str] | None, output_names: list[str] | None, target: Path
) -> GraphSignature:
    """Import a TF1 meta graph, restore its variables in a session, pick inputs/outputs, and write
    a SavedModel with a `serving_default` signature to `target`."""
    v1 = tf.compat.v1
    read_variables(prefix)  # clear message for a missing/corrupt checkpoint before TF's own
    graph = tf.Graph()
    with graph.as_default():
        try:
            saver = v1.train.import_meta_graph(str(meta), clear_devices=True)
        except Exception as error:  # DecodeError, ValueError, ...
            raise ExportError("restore", f"{meta} is not a readable TF1 meta graph: {_short(error)}") from error
        with v1.Session(graph=graph) as session:
            if saver is not None:
                try:
                    saver.restore(session, str(prefix))
                except Exception as error:  # NotFound, InvalidArgument, DataLoss
                    raise ExportError(
                        "restore", f"the checkpoint {prefix.name} does not fit the graph in {meta.name}: {_short(error)}"
                    ) from error
            signature = _choose_signature(graph, input_names, output_names)
            builder = v1.saved_model.Builder(str(target))
            definition = v1.saved_model.predict_signature_def(
                inputs={_key(n): graph.get_tensor_by_name(n) for n in signature.inputs},
                outputs={_key(n): graph.get_tensor_by_name(n) for n in signature.outputs},
            )
            builder.add_meta_graph_and_variables(
                session, [v1.saved_model.tag_constants.SERVING], signature_def_map={"serving_default": definition}
            )
            builder.save()
    return signature


def _key(tensor_name: str) -> str:
    # Signature keys become TFLite tensor names: keep them plain.
    name = tensor_name.removesuffix(":0")
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _tensor_name(graph: tf.Graph, name: str, role: str) -> str:
    full = name if ":" in name else f"{name}:0"
    try:
        graph.get_tensor_by_name(full)
    except (KeyError, ValueError):
        raise ExportError("export", f"the graph has no {role} tensor {name!r}.") from None
    return full


def _choose_signature(graph: tf.Graph, input_names: list[str] | None, output_names: list[str] | None) -> GraphSignature:
    operations = graph.get_operations()
    consumers: dict[str, int] = {}
    for op in operations:
        if _NON_OUTPUT_SCOPES.match(op.name):
            continue  # a consumer inside save/ or gradients/ does not make a tensor "used"
        for tensor in op.inputs:
            consumers[tensor.op.name] = consumers.get(tensor.op.name, 0) + 1
    placeholders = [op for op in operations if op.type == "Placeholder"]
    if output_names:
        outputs = [_tensor_name(graph, n, "output") for n in output_names]
    else:
        outputs = [
            f"{op.name}:0" for op in operations
            if op.outputs and op.name not in consumers and op.type not in _NON_OUTPUT_TYPES
            and not _NON_OUTPUT_SCOPES.match(op.name) and op.outputs[0].dtype != tf.resource
            and _depends_on(op, placeholders)
        ]
        if not outputs:
            raise ExportError("export", "found no output in the graph (no op that depends on a placeholder and "
                              "that nothing consumes); name the outputs with output_names.")
    losses: list[str] = []
    if not output_names and _looks_like_training(operations):
        # A graph saved while training: what nothing consumes is the loss, which needs the
        # labels too. The model's outputs are what the loss is computed from.
        model_side = _model_outputs(operations, placeholders)
        if model_side:
            losses, outputs = outputs, model_side
    if input_names:
        inputs = [_tensor_name(graph, n, "input") for n in input_names]
    else:
        needed = _ancestors([graph.get_tensor_by_name(n).op for n in outputs])
        inputs = [f"{op.name}:0" for op in placeholders if op.name in needed]
        if not inputs:
            raise ExportError("export", f"the outputs {', '.join(outputs)} depend on no placeholder; "
                              "name the inputs with input_names.")
    training = _looks_like_training(operations)
    return GraphSignature(inputs, outputs, not (input_names or output_names), training, losses)


# Op types that only a training graph has: losses and optimizer updates.
_LOSS_TYPES = {"SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits"}
_TRAINING_TYPE = re.compile(r"^(Resource)?Apply[A-Z]")
# Placeholder names that mean "the training targets" (labels, y_true, targets, ...).
_LABEL_NAME = re.compile(r"(^|[/_])(labels?|targets?|y_true|truth|ground_truth|gt)(_\d+)?$", re.IGNORECASE)


def _looks_like_training(operations: list[Any]) -> bool:
    return any(op.name.startswith("gradients") or op.type in _LOSS_TYPES or _TRAINING_TYPE.match(op.type)
               for op in operations)


def _model_outputs(operations: list[Any], placeholders: list[Any]) -> list[str]:
    """In a training graph, the tensors the loss is computed from: the logits argument of a
    loss op, else the frontier between the model and the loss (tensors that do not depend on a
    label placeholder, consumed by an op that does). Empty when that cannot be told."""
    found = [op.inputs[0].name for op in operations
             if op.type in _LOSS_TYPES and not _NON_OUTPUT_SCOPES.match(op.name) and op.inputs]
    labels = {p.name for p in placeholders if _LABEL_NAME.search(p.name)}
    if not found and labels and len(labels) < len(placeholders):
        uses_labels: dict[str, bool] = {}

        def on_labels(op: Any) -> bool:
            if op.name not in uses_labels:
                uses_labels[op.name] = op.name in labels or bool(labels & _ancestors([op]))
            return uses_labels[op.name]

        for op in operations:
            if _NON_OUTPUT_SCOPES.match(op.name) or op.type in _NON_OUTPUT_TYPES or not op.outputs:
                continue
            if not on_labels(op):
                continue
            for tensor in op.inputs:
                producer = tensor.op
                if (producer.type not in _NON_OUTPUT_TYPES and tensor.dtype.is_floating
                        and not on_labels(producer) and _depends_on(producer, placeholders)):
                    found.append(tensor.name)
    return list(dict.fromkeys(found))[:5]


def _depends_on(op: Any, placeholders: list[Any]) -> bool:
    names = {p.name for p in placeholders}
    return bool(names & _ancestors([op]))


def _ancestors(ops: list[Any]) -> set[str]:
    seen: set[str] = set()
    stack = list(ops)
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.extend(t.op for t in op.inputs)
    return seen


def _short(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error)
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(error).__name__
    return first if len(first) <= 300 else first[:297] + "..."
