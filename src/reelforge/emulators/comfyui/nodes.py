"""The node types the emulated ComfyUI has installed, as ``/object_info`` describes them.

A core subset: SD 1.5/SDXL text and image to image, LoRA, model upscaling, Wan 2.1 text to
video (native nodes). Combo inputs list the model files the emulated server "has"; a test
can remove node types or files to see DEPENDENCY_MISSING.
"""

from __future__ import annotations

from typing import Any

SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_sde", "uni_pc", "ddim"]
SCHEDULERS = ["simple", "normal", "karras", "exponential", "sgm_uniform", "ddim_uniform", "beta"]
MAX_SEED = 0xFFFFFFFFFFFFFFFF

DEFAULT_MODELS: dict[str, list[str]] = {
    "checkpoints": ["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"],
    "loras": ["add_detail.safetensors", "film_grain.safetensors"],
    "upscale_models": ["RealESRGAN_x4plus.pth"],
    "diffusion_models": ["wan2.1_t2v_1.3B_fp16.safetensors"],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
    "vae": ["wan_2.1_vae.safetensors"],
}
# Nodes that save or preview results (ComfyUI's OUTPUT_NODE).
SAMPLER_NODES = frozenset({"KSampler", "KSamplerAdvanced", "SamplerCustom"})


def _int(default: int, low: int, high: int, step: int = 1) -> list[Any]:
    return ["INT", {"default": default, "min": low, "max": high, "step": step}]


def _float(default: float, low: float, high: float, step: float = 0.01) -> list[Any]:
    return ["FLOAT", {"default": default, "min": low, "max": high, "step": step}]


def _node(
    name: str,
    required: dict[str, Any],
    outputs: tuple[str, ...] = (),
    *,
    optional: dict[str, Any] | None = None,
    names: tuple[str, ...] | None = None,
    output_node: bool = False,
    category: str = "",
    display: str | None = None,
) -> dict[str, Any]:
    return {
        "input": {"required": required, "optional": optional or {}},
        "input_order": {"required": list(required), "optional": list(optional or {})},
        "output": list(outputs),
        "output_is_list": [False] * len(outputs),
        "output_name": list(names or outputs),
        "name": name,
        "display_name": display or name,
        "description": "",
        "python_module": "nodes"
        if not name.startswith(("Create", "SaveVideo"))
        else "comfy_extras.nodes_video",
        "category": category,
        "output_node": output_node,
        "deprecated": False,
        "experimental": False,
    }


def object_info(models: dict[str, list[str]], input_files: list[str]) -> dict[str, dict[str, Any]]:
    """Every installed node type, with combos filled from the server's files."""
    text = ["STRING", {"multiline": True, "dynamicPrompts": True}]
    nodes = [
        _node(
            "CheckpointLoaderSimple",
            {"ckpt_name": [list(models["checkpoints"]), {"tooltip": "checkpoint"}]},
            ("MODEL", "CLIP", "VAE"),
            category="loaders",
            display="Load Checkpoint",
        ),
        _node(
            "CLIPTextEncode",
            {"text": text, "clip": ["CLIP"]},
            ("CONDITIONING",),
            category="conditioning",
        ),
        _node(
            "EmptyLatentImage",
            {
                "width": _int(512, 16, 16384, 8),
                "height": _int(512, 16, 16384, 8),
                "batch_size": _int(1, 1, 4096),
            },
            ("LATENT",),
            category="latent",
        ),
        _node(
            "KSampler",
            {
                "model": ["MODEL"],
                "seed": [
                    "INT",
                    {"default": 0, "min": 0, "max": MAX_SEED, "control_after_generate": True},
                ],
                "steps": _int(20, 1, 10000),
                "cfg": _float(8.0, 0.0, 100.0, 0.1),
                "sampler_name": [list(SAMPLERS), {}],
                "scheduler": [list(SCHEDULERS), {}],
                "positive": ["CONDITIONING"],
                "negative": ["CONDITIONING"],
                "latent_image": ["LATENT"],
                "denoise": _float(1.0, 0.0, 1.0),
            },
            ("LATENT",),
            category="sampling",
        ),
        _node("VAEDecode", {"samples": ["LATENT"], "vae": ["VAE"]}, ("IMAGE",), category="latent"),
        _node("VAEEncode", {"pixels": ["IMAGE"], "vae": ["VAE"]}, ("LATENT",), category="latent"),
        _node(
            "SaveImage",
            {"images": ["IMAGE"], "filename_prefix": ["STRING", {"default": "ComfyUI"}]},
            output_node=True,
            category="image",
            display="Save Image",
        ),
        _node("PreviewImage", {"images": ["IMAGE"]}, output_node=True, category="image"),
        _node(
            "LoadImage",
            {"image": [sorted(input_files), {"image_upload": True}]},
            ("IMAGE", "MASK"),
            category="image",
            display="Load Image",
        ),
        _node(
            "LoraLoader",
            {
                "model": ["MODEL"],
                "clip": ["CLIP"],
                "lora_name": [list(models["loras"]), {}],
                "strength_model": _float(1.0, -100.0, 100.0),
                "strength_clip": _float(1.0, -100.0, 100.0),
            },
            ("MODEL", "CLIP"),
            category="loaders",
        ),
        _node(
            "UpscaleModelLoader",
            {"model_name": [list(models["upscale_models"]), {}]},
            ("UPSCALE_MODEL",),
            category="loaders",
        ),
        _node(
            "ImageUpscaleWithModel",
            {"upscale_model": ["UPSCALE_MODEL"], "image": ["IMAGE"]},
            ("IMAGE",),
            category="image/upscaling",
        ),
        _node(
            "UNETLoader",
            {
                "unet_name": [list(models["diffusion_models"]), {}],
                "weight_dtype": [["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"], {}],
            },
            ("MODEL",),
            category="advanced/loaders",
        ),
        _node(
            "CLIPLoader",
            {
                "clip_name": [list(models["text_encoders"]), {}],
                "type": [["stable_diffusion", "stable_cascade", "sd3", "flux", "wan", "ltxv"], {}],
            },
            ("CLIP",),
            optional={"device": [["default", "cpu"], {"advanced": True}]},
            category="advanced/loaders",
        ),
        _node("VAELoader", {"vae_name": [list(models["vae"]), {}]}, ("VAE",), category="loaders"),
        _node(
            "ModelSamplingSD3",
            {"model": ["MODEL"], "shift": _float(3.0, 0.0, 100.0)},
            ("MODEL",),
            category="advanced/model",
        ),
        _node(
            "EmptyHunyuanLatentVideo",
            {
                "width": _int(848, 16, 16384, 16),
                "height": _int(480, 16, 16384, 16),
                "length": _int(25, 1, 16384, 4),
                "batch_size": _int(1, 1, 4096),
            },
            ("LATENT",),
            category="latent/video",
        ),
        _node(
            "CreateVideo",
            {"images": ["IMAGE"], "fps": _float(30.0, 1.0, 120.0, 1.0)},
            ("VIDEO",),
            optional={"audio": ["AUDIO"]},
            category="image/video",
        ),
        _node(
            "SaveVideo",
            {
                "video": ["VIDEO"],
                "filename_prefix": ["STRING", {"default": "video/ComfyUI"}],
                "format": [["auto", "mp4"], {"default": "auto"}],
                "codec": [["auto", "h264"], {"default": "auto"}],
            },
            output_node=True,
            category="image/video",
        ),
    ]
    return {node["name"]: node for node in nodes}
