"""Binary Classifier Optimization (Jung et al. 2024, arXiv 2404.04656) on top of TRL's KTO data pipeline.

TRL no longer has a BCO trainer: it moved to `trl.experimental` in late 2025 and was deleted in
September 2026 (huggingface/trl#7136); only the paired `bco_pair` DPO loss remains. BCO trains on
the same unpaired (prompt, completion, label) data as KTO, so this trainer reuses `KTOTrainer` for
tokenisation, the LoRA model and the reference log-probabilities (precomputed, with the adapter
disabled), and replaces only the loss:

    r = β · (log π(y|x) − log π_ref(y|x))
    loss = −log σ(r − δ) for a desirable completion, −log σ(−(r − δ)) for an undesirable one,

with δ the running mean of all rewards seen so far (the paper's reward shift). The paper's
optional density-ratio reweighting (UDM) is not implemented.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from trl import KTOConfig, KTOTrainer

BCO_LOSS_TYPE = "apo_zero_unpaired"
"""The KTO setting that skips KTO's mismatched KL sequences, which BCO does not use."""


def bco_config(**kwargs: Any) -> KTOConfig:
    """A `KTOConfig` for BCO: no KL sequences, reference log-probabilities computed once before training."""
    return KTOConfig(loss_type=BCO_LOSS_TYPE, precompute_ref_log_probs=True, **kwargs)


def completion_logps(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Summed log-probability of each row's completion tokens (prompt and padding masked out)."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False).logits
    targets = batch["input_ids"][:, 1:]
    token_logps = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (token_logps * batch["completion_mask"][:, 1:]).sum(-1)


def bco_losses(rewards: torch.Tensor, desirable: torch.Tensor, delta: float) -> torch.Tensor:
    """Per-example BCO loss: a logistic classifier of desirable vs undesirable on the shifted reward."""
    shifted = rewards - delta
    return torch.where(desirable, -F.logsigmoid(shifted), -F.logsigmoid(-shifted))


class BCOTrainer(KTOTrainer):
    """`KTOTrainer` with the BCO loss; configure it with `bco_config`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.precompute_ref_logps or self.loss_type != BCO_LOSS_TYPE:
            raise ValueError("BCOTrainer needs the configuration from bco_config()")
        self.reward_sum = 0.0
        self.reward_count = 0

    @property
    def delta(self) -> float:
        """The reward shift: the mean of every training reward so far (0 before the first step)."""
        return self.reward_sum / self.reward_count if self.reward_count else 0.0

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        mode = "train" if self.model.training else "eval"
        batch = {
            key: value.to(self.accelerator.device) if isinstance(value, torch.Tensor) else value
            for key, value in inputs.items()
        }
        policy = completion_logps(model, batch)
        rewards = self.beta * (policy - batch["ref_logps"].to(policy.dtype))
        desirable = torch.as_tensor(batch["label"], dtype=torch.bool, device=rewards.device)
        delta = self.delta  # the shift of this step: rewards seen before it
        losses = bco_losses(rewards, desirable, delta)
        if mode == "train":
            gathered = self.accelerator.gather_for_metrics(rewards.detach())
            self.reward_sum += gathered.sum().item()
            self.reward_count += gathered.numel()
        self._metrics[mode]["bco/delta"].append(delta)
        for name, selected in (("chosen", desirable), ("rejected", ~desirable)):
            if selected.any():
                self._metrics[mode][f"rewards/{name}"].append(rewards[selected].detach().mean().item())
        loss = losses.mean()
        return (loss, {"rewards": rewards.detach()}) if return_outputs else loss
