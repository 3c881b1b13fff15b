tset
