from __future__ import annotations

import torch

# The machine is shared: tests never use more than one thread.
torch.set_num_threads(1)
