# Reference learning rates of torch.optim.lr_scheduler.CosineAnnealingLR, stepped the way the
# HKD authors' code steps it (after every batch), for tests/PneuKnow.Tests/Training/LearningRateScheduleTests.cs.
# Rerun with Debian's torch (not the pyenv python):
#   cd tests/PneuKnow.Tests/Fixtures/Training && /usr/bin/python3 make_lr_schedule.py
import torch

rows = ["t_max,eta_min,base_lr,step,lr"]
for t_max, eta_min, base_lr, steps in [(1, 0.0, 1e-4, 9), (3, 0.0, 1e-4, 40), (59, 0.0, 1e-4, 300), (7, 1e-6, 3e-4, 60)]:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=base_lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, t_max, eta_min=eta_min)
    for step in range(steps + 1):
        # lr in effect for the (step)-th optimizer step, i.e. after `step` scheduler steps
        rows.append(f"{t_max},{eta_min!r},{base_lr!r},{step},{opt.param_groups[0]['lr']!r}")
        opt.step()
        sched.step()
with open("cosine_annealing_lr.csv", "w") as f:
    f.write("\n".join(rows) + "\n")
print(torch.__version__, len(rows) - 1, "rows")
