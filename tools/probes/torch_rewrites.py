"""Candidate rewrites: the same math written with ops that may convert.

Each is a Python expression over the op's tensor arguments `x`, `y`, `z` (in the order of the
op's first probe variant) with `torch` and `F` (torch.nn.functional) in scope. A candidate
is only a hypothesis: `torch_suite` probes it through the same pipeline and compares it with
the original op in eager mode, and stores it only when both checks pass.
Keys are short names; a rewrite for `torch.X` also serves `torch.Tensor.X`.
"""

from __future__ import annotations

CANDIDATES: dict[str, tuple[str, str]] = {
    # name: (description, code)
    "remainder": ("Python-style modulo from floor", "x - y * torch.floor(x / y)"),
    "fmod": ("C-style modulo from trunc", "x - y * torch.trunc(x / y)"),
    "floor_divide": ("floor of the true quotient", "torch.floor(x / y)"),
    "trunc": ("sign times floor of the magnitude", "torch.sign(x) * torch.floor(torch.abs(x))"),
    "fix": ("sign times floor of the magnitude", "torch.sign(x) * torch.floor(torch.abs(x))"),
    "frac": ("x minus its truncation", "x - torch.sign(x) * torch.floor(torch.abs(x))"),
    "sinh": ("from exp", "(torch.exp(x) - torch.exp(-x)) / 2"),
    "cosh": ("from exp", "(torch.exp(x) + torch.exp(-x)) / 2"),
    "asinh": ("from log and sqrt", "torch.log(x + torch.sqrt(x * x + 1))"),
    "arcsinh": ("from log and sqrt", "torch.log(x + torch.sqrt(x * x + 1))"),
    "acosh": ("from log and sqrt", "torch.log(x + torch.sqrt(x * x - 1))"),
    "arccosh": ("from log and sqrt", "torch.log(x + torch.sqrt(x * x - 1))"),
    "atanh": ("from log", "0.5 * torch.log((1 + x) / (1 - x))"),
    "arctanh": ("from log", "0.5 * torch.log((1 + x) / (1 - x))"),
    "tan": ("sin over cos", "torch.sin(x) / torch.cos(x)"),
    "asin": ("atan form", "torch.atan(x / torch.sqrt(1 - x * x))"),
    "arcsin": ("atan form", "torch.atan(x / torch.sqrt(1 - x * x))"),
    "acos": ("atan form", "1.5707963267948966 - torch.atan(x / torch.sqrt(1 - x * x))"),
    "arccos": ("atan form", "1.5707963267948966 - torch.atan(x / torch.sqrt(1 - x * x))"),
    "atan2": ("atan of the ratio with quadrant fix",
              ("torch.where(y > 0, torch.atan(x / y), torch.where(x >= 0, torch.atan(x / y) + 3.141592653589793, "
              "torch.atan(x / y) - 3.141592653589793))")),
    "arctan2": ("atan of the ratio with quadrant fix",
                ("torch.where(y > 0, torch.atan(x / y), torch.where(x >= 0, torch.atan(x / y) + 3.141592653589793, "
                "torch.atan(x / y) - 3.141592653589793))")),
    "expm1": ("exp minus one", "torch.exp(x) - 1"),
    "log1p": ("log of one plus", "torch.log(1 + x)"),
    "exp2": ("exp of x ln 2", "torch.exp(x * 0.6931471805599453)"),
    "log2": ("natural log over ln 2", "torch.log(x) / 0.6931471805599453"),
    "log10": ("natural log over ln 10", "torch.log(x) / 2.302585092994046"),
    "logit": ("log of the odds", "torch.log(x / (1 - x))"),
    "expit": ("sigmoid", "torch.sigmoid(x)"),
    "hypot": ("sqrt of the sum of squares", "torch.sqrt(x * x + y * y)"),
    "logaddexp": ("max plus log1p of exp of the gap",
                  "torch.maximum(x, y) + torch.log(1 + torch.exp(-torch.abs(x - y)))"),
    "copysign": ("magnitude with the sign of y", "torch.abs(x) * torch.where(y >= 0, 1.0, -1.0)"),
    "xlogy": ("x log y with zero where x is zero", "torch.where(x == 0, torch.zeros_like(x), x * torch.log(y))"),
    "sign": ("difference of comparisons", "(x > 0).to(x.dtype) - (x < 0).to(x.dtype)"),
    "sgn": ("difference of comparisons", "(x > 0).to(x.dtype) - (x < 0).to(x.dtype)"),
    "heaviside": ("where on the sign", "torch.where(x > 0, 1.0, torch.where(x < 0, 0.0, y))"),
    "logsumexp": ("shifted by the max", ("torch.amax(x, 1, keepdim=True).squeeze(1) + torch.log(torch.sum("
                  "torch.exp(x - torch.amax(x, 1, keepdim=True)), 1))")),
    "cumsum": ("matmul with an upper-triangular ones matrix",
               "torch.matmul(x.transpose(1, -1), torch.triu(torch.ones(x.shape[1], x.shape[1]))).transpose(1, -1)"),
    "var": ("mean of squared deviations (unbiased)",
            "torch.sum((x - torch.mean(x)) ** 2) / (x.numel() - 1)"),
    "std": ("sqrt of the unbiased variance", "torch.sqrt(torch.sum((x - torch.mean(x)) ** 2) / (x.numel() - 1))"),
    "norm": ("sqrt of the sum of squares", "torch.sqrt(torch.sum(x * x))"),
    "flip": ("index_select with reversed constant indices",
             "x.index_select(2, torch.arange(x.shape[2] - 1, -1, -1)).index_select(3, torch.arange(x.shape[3] - 1, -1, -1))"),
    "roll": ("concatenate the two slices", "torch.cat([x[..., -2:], x[..., :-2]], dim=3)"),
    "tril": ("multiply by a constant lower-triangular mask", "x * torch.tril(torch.ones(x.shape[-2], x.shape[-1]))"),
    "triu": ("multiply by a constant upper-triangular mask", "x * torch.triu(torch.ones(x.shape[-2], x.shape[-1]))"),
    "diff": ("subtract shifted slices", "x[..., 1:] - x[..., :-1]"),
    "isin": ("compare against each element and reduce", "(x.unsqueeze(-1) == y).any(-1)"),
    "bucketize": ("count boundaries below each value", "(x.unsqueeze(-1) > y).sum(-1)"),
    "cross": ("explicit component formula",
              ("torch.stack([x[..., 1] * y[..., 2] - x[..., 2] * y[..., 1], x[..., 2] * y[..., 0] - x[..., 0] * y[..., 2], "
              "x[..., 0] * y[..., 1] - x[..., 1] * y[..., 0]], -1)")),
    "argsort": ("topk over the whole dimension", "torch.topk(x, x.shape[-1], dim=-1, largest=False).indices"),
    "sort": ("topk over the whole dimension", "torch.topk(x, x.shape[-1], dim=-1, largest=False)"),
    "hardswish": ("x times relu6(x + 3) / 6", "x * torch.clamp(x + 3, 0, 6) / 6"),
    "hardsigmoid": ("relu6(x + 3) / 6", "torch.clamp(x + 3, 0, 6) / 6"),
    "mish": ("x tanh(softplus(x))", "x * torch.tanh(torch.log(1 + torch.exp(x)))"),
    "softplus": ("log(1 + exp(x))", "torch.log(1 + torch.exp(x))"),
    "logsigmoid": ("log of sigmoid", "torch.log(torch.sigmoid(x))"),
    "gelu": ("exact form with erf", "0.5 * x * (1 + torch.erf(x * 0.7071067811865476))"),
    "glu": ("split in two, gate with sigmoid", "x[:, :2] * torch.sigmoid(x[:, 2:])"),
    "pixel_shuffle": ("reshape and permute",
                      "x.reshape(2, 2, 2, 2, 4, 4).permute(0, 1, 4, 2, 5, 3).reshape(2, 2, 8, 8)"),
    "pixel_unshuffle": ("reshape and permute",
                        "x.reshape(2, 3, 4, 2, 4, 2).permute(0, 1, 3, 5, 2, 4).reshape(2, 12, 4, 4)"),
    "adaptive_max_pool2d": ("max_pool2d with kernel = stride = input / output", "F.max_pool2d(x, 2)"),
    "AdaptiveMaxPool2d": ("max_pool2d with kernel = stride = input / output", "F.max_pool2d(x, 2)"),
    "adaptive_avg_pool2d": ("mean over the spatial dims", "torch.mean(x, dim=(2, 3), keepdim=True)"),
    "AdaptiveAvgPool2d": ("mean over the spatial dims", "torch.mean(x, dim=(2, 3), keepdim=True)"),
    "cosine_similarity": ("dot over the product of norms",
                          "torch.sum(x * y, 1) / torch.clamp(torch.sqrt(torch.sum(x * x, 1) * torch.sum(y * y, 1)), min=1e-8)"),
    "det": ("3x3 cofactor expansion",
            ("x[:, 0, 0] * (x[:, 1, 1] * x[:, 2, 2] - x[:, 1, 2] * x[:, 2, 1]) - x[:, 0, 1] * (x[:, 1, 0] * x[:, 2, 2] "
            "- x[:, 1, 2] * x[:, 2, 0]) + x[:, 0, 2] * (x[:, 1, 0] * x[:, 2, 1] - x[:, 1, 1] * x[:, 2, 0])")),
    "round": ("floor of x + 0.5 (differs from round-half-even at exact halves)", "torch.floor(x + 0.5)"),
    "reciprocal": ("one over x", "1.0 / x"),
    "rsqrt": ("one over sqrt", "1.0 / torch.sqrt(x)"),
    "square": ("x times x", "x * x"),
    "rad2deg": ("multiply by 180 / pi", "x * 57.29577951308232"),
    "deg2rad": ("multiply by pi / 180", "x * 0.017453292519943295"),
    "angle": ("pi where negative, else zero (real input)",
              "torch.where(x < 0, torch.full_like(x, 3.141592653589793), torch.zeros_like(x))"),
    "dist": ("sqrt of the summed squared difference", "torch.sqrt(torch.sum((x - y) ** 2))"),
    "erfc": ("one minus erf", "1 - torch.erf(x)"),
    "fmax": ("maximum that ignores NaN",
             "torch.where(torch.isnan(y), x, torch.where(torch.isnan(x), y, torch.maximum(x, y)))"),
    "fmin": ("minimum that ignores NaN",
             "torch.where(torch.isnan(y), x, torch.where(torch.isnan(x), y, torch.minimum(x, y)))"),
    "signbit": ("comparison with zero", "x < 0"),
    "logaddexp2": ("logaddexp in base 2 through natural log and exp",
                   ("torch.maximum(x, y) + torch.log(1 + torch.exp(-torch.abs(x - y) * 0.6931471805599453))"
                    " / 0.6931471805599453")),
    "logcumsumexp": ("log of the cumulative sum of exp", "torch.log(torch.cumsum(torch.exp(x), 1))"),
    "ldexp": ("multiply by 2 to the exponent", "x * torch.exp(y.float() * 0.6931471805599453)"),
    "one_hot": ("compare with a constant range", "(x.unsqueeze(-1) == torch.arange(5)).long()"),
    "rrelu": ("in evaluation it is leaky_relu with the mean slope", "F.leaky_relu(x, (1.0 / 8 + 1.0 / 3) / 2)"),
    "RReLU": ("in evaluation it is leaky_relu with the mean slope", "F.leaky_relu(x, (1.0 / 8 + 1.0 / 3) / 2)"),
    "bilinear": ("einsum over both inputs and the weight", "torch.einsum('bi,oij,bj->bo', x, z, y)"),
    "adaptive_max_pool1d": ("max_pool1d with kernel = stride = input / output", "F.max_pool1d(x, 4)"),
    "AdaptiveMaxPool1d": ("max_pool1d with kernel = stride = input / output", "F.max_pool1d(x, 4)"),
    "adaptive_max_pool3d": ("max_pool3d with kernel = stride = input / output", "F.max_pool3d(x, 2)"),
    "AdaptiveMaxPool3d": ("max_pool3d with kernel = stride = input / output", "F.max_pool3d(x, 2)"),
    "log_ndtr": ("log of the normal CDF through erf", "torch.log(0.5 * (1 + torch.erf(x * 0.7071067811865476)))"),
    "scatter_add": ("one-hot comparison and a sum instead of a scatter",
                    "x + ((y.unsqueeze(-1) == torch.arange(8)).to(x.dtype) * z.unsqueeze(-1)).sum(-2)"),
    "index_add": ("one-hot matmul instead of a scatter",
                  "x + torch.einsum('bkhw,kc->bchw', z, (y.unsqueeze(-1) == torch.arange(3)).to(x.dtype))"),
    "msort": ("topk along the first dimension", "torch.topk(x, x.shape[0], dim=0, largest=False).values"),
    "kthvalue": ("the last of the k smallest from topk",
                 ("(torch.topk(x, 3, dim=-1, largest=False).values[..., -1], "
                  "torch.topk(x, 3, dim=-1, largest=False).indices[..., -1])")),
    "median": ("the lower middle of topk over all elements",
               "torch.topk(x.flatten(), (x.numel() + 1) // 2, largest=False).values[-1]"),
    "vander": ("stack of decreasing powers", "torch.stack([x * x * x, x * x, x, torch.ones_like(x)], -1)"),
    "torch.linalg.vander": ("stack of increasing powers",
                            "torch.stack([torch.ones_like(x), x, x * x, x * x * x, x * x * x * x], -1)"),
    "logical_xor": ("inequality of booleans", "x != y"),
    "gaussian_nll_loss": ("the loss formula with the default eps",
                          ("torch.mean(0.5 * (torch.log(torch.clamp(z, min=1e-6)) + (x - y) ** 2 "
                           "/ torch.clamp(z, min=1e-6)))")),
    "cov": ("centred rows times their transpose",
            ("torch.matmul(x - x.mean(1, keepdim=True), (x - x.mean(1, keepdim=True)).t()) "
             "/ (x.shape[1] - 1)")),
    "hinge_embedding_loss": ("the loss formula with margin 1",
                             ("torch.mean(torch.where(y != 1, torch.clamp(1 - x, min=0), torch.zeros_like(x)) "
                              "+ torch.where(y != -1, x, torch.zeros_like(x)))")),
}


def candidate_for(name: str) -> tuple[str, str] | None:
    """A qualified key wins over a short one (torch.linalg.vander is not torch.vander)."""
    if name in CANDIDATES:
        return CANDIDATES[name]
    short = name.rsplit(".", 1)[-1]
    if name.startswith("torch.linalg.") and f"torch.{short}" in CANDIDATES:
        return None
    return CANDIDATES.get(short)
