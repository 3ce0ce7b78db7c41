"""The framework-free side of exports, used by the server and the CLI (no torch/TensorFlow).

    job         ExportRequest / ExportResult (with its `status`): what crosses to the worker
    plan        settings + `models` discovery -> a complete ExportRequest, or a PlanError
    framework   which exporter (torch or TensorFlow) takes a request, decided statically
    client      WorkerClient: start, feed, cancel and time out the worker process
    script      the standalone export script for a PyTorch request
    tf_script   the standalone export script for a TensorFlow/Keras request
"""
