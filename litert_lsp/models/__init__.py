"""What the editor and the CLI know about models without running anything.

    classes.find_model_classes(source)      nn.Module subclasses, their constructors
    classes.find_call_sites(root, name)     literal constructor calls in the workspace
    checkpoints.find_checkpoints(root, near) weight files, recognised by content
    plan.plan_export(...)                   an ExportRequest from settings + the above

Pure Python (ast, zipfile, pickletools): no framework import, no user code executed.
"""
