print("showtell")
