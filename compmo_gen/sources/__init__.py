"""Motion sources: HumanML3D folders, their doctor, SMPL-H parameters to joints."""
